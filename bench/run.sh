#!/usr/bin/env bash
# Ping load harness (issue: foundation). For SQLite and PostgreSQL it starts
# `overdue serve` on a fresh database with 1,000 checks, drives pings with wrk
# over all 1,000 URLs at concurrency 8 and 64, and measures a bare net/http
# "OK" handler with the same settings in the same run, then prints pings/s,
# p50/p99 latency, errors and the ratio to the bare handler.
#
#   bench/run.sh                 # both engines, 10 s per run
#   DURATION=30s ENGINES=sqlite bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }

DURATION=${DURATION:-10s}
ENGINES=${ENGINES:-"sqlite postgres"}
THREADS=2
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

go build -o "$out/overdue" ./cmd/overdue
go build -o "$out/bare" ./bench/cmd/bare
go build -o "$out/seed" ./bench/cmd/seed

# wrk prints its latency distribution with --latency; pick p50/p99, req/s and errors.
summarize() { # name file baseline_rps
  awk -v name="$1" -v base="${3:-0}" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    /Non-2xx/ {non2xx=$NF}
    /Socket errors/ {sockerr=$0}
    END {
      ratio = (base > 0) ? sprintf("%.2f", rps/base) : "1.00"
      printf "%-28s %10.0f req/s  p50 %-8s p99 %-8s non-2xx %-6s ratio %s %s\n", name, rps, p50, p99, (non2xx==""?0:non2xx), ratio, sockerr
    }' "$2"
}

wrk_run() { # url_or_base urls_file conc outfile
  URLS_FILE="$2" wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency -s bench/pings.lua "$1" >"$4" 2>&1
}

"$out/bare" -listen 127.0.0.1:8099 & sleep 0.5

for engine in $ENGINES; do
  rm -f "$out/bench.sqlite"*
  case $engine in
    sqlite) envs=(DB=sqlite DB_NAME="$out/bench.sqlite"); seedargs=(-engine sqlite -path "$out/bench.sqlite") ;;
    postgres)
      psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS overdue_bench" -c "CREATE DATABASE overdue_bench" >/dev/null
      envs=(DB=postgres DB_HOST=127.0.0.1 DB_NAME=overdue_bench DB_USER=postgres DB_SSLMODE=disable)
      seedargs=(-engine postgres -name overdue_bench -user postgres) ;;
  esac
  "$out/seed" "${seedargs[@]}" -checks 1000 -base http://127.0.0.1:8098 >"$out/urls.txt"
  sed 's#http://127.0.0.1:8098#http://127.0.0.1:8099#' "$out/urls.txt" >"$out/bare-urls.txt"
  first_url=$(head -1 "$out/urls.txt")
  t0=$(date +%s%N)
  env "${envs[@]}" "$out/overdue" serve --listen 127.0.0.1:8098 2>"$out/serve.log" &
  pid=$!
  # Start-up to first answered ping: poll every 5 ms until a ping gets 200.
  for _ in $(seq 2000); do curl -fs -o /dev/null "$first_url" && break; sleep 0.005; done
  t1=$(date +%s%N)
  sleep 2
  echo "== $engine ($(wc -l <"$out/urls.txt") checks, wrk -t$THREADS -d$DURATION)"
  echo "start-up to first answered ping: $(( (t1 - t0) / 1000000 )) ms; idle RSS: $(ps -o rss= -p $pid) KiB"
  for conc in 8 64; do
    wrk_run http://127.0.0.1:8099 "$out/bare-urls.txt" "$conc" "$out/bare.txt"
    base_rps=$(awk '/Requests\/sec/ {print $2}' "$out/bare.txt")
    wrk_run http://127.0.0.1:8098 "$out/urls.txt" "$conc" "$out/od.txt"
    summarize "bare net/http  c=$conc" "$out/bare.txt"
    summarize "overdue $engine c=$conc" "$out/od.txt" "$base_rps"
  done
  echo "idle RSS after load: $(ps -o rss= -p $pid) KiB"
  kill $pid; wait $pid 2>/dev/null || true
done
