#!/usr/bin/env bash
# Ping load harness (issues: foundation, 15). For SQLite and PostgreSQL it
# starts `overdue serve` on a fresh database with 1,000 checks (each with a
# slug) and drives pings with wrk over all 1,000 URLs, in both URL forms
# (/ping/<uuid> and /ping/<ping_key>/<slug>), at concurrency 8 and 64. Every
# Overdue run is preceded by a run of a bare net/http "OK" handler with the
# same settings and the same URL form, and REPS such pairs alternate, so the
# ratio of each pair is measured under the same machine load. It prints every
# run, then per engine, form and concurrency the median pings/s, p99 and
# ratio to the bare handler.
#
#   bench/run.sh                          # both engines, 10 s per run, 3 reps
#   DURATION=5s REPS=1 ENGINES=sqlite bench/run.sh
#   PROFILE=/tmp/prof bench/run.sh        # also CPU and allocation profiles
#
# With PROFILE=DIR the server is built with -tags benchpprof, and after the
# measured runs one more c=64 run per form is profiled (CPU and allocations
# over the run, net/http/pprof) into DIR/<engine>-<form>.{cpu,allocs}.pprof;
# read them with `go tool pprof -top DIR/sqlite-slug.cpu.pprof`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }

DURATION=${DURATION:-10s}
REPS=${REPS:-3}
ENGINES=${ENGINES:-"sqlite postgres"}
CONCS=${CONCS:-"8 64"}
FORMS=${FORMS:-"uuid slug"}
PROFILE=${PROFILE:-}
THREADS=2
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT

tags=()
[[ -n $PROFILE ]] && { mkdir -p "$PROFILE"; tags=(-tags benchpprof); }
go build "${tags[@]}" -o "$out/overdue" ./cmd/overdue
go build -o "$out/bare" ./bench/cmd/bare
go build -o "$out/seed" ./bench/cmd/seed

# parse FILE: "rps p99_ms non2xx" from wrk --latency output (p99 in ms
# whatever unit wrk chose; non-2xx answers and socket errors summed).
parse() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {p99=ms($2)}
    /Non-2xx/ {bad+=$NF}
    /Socket errors/ {gsub(/,/, ""); bad+=$4+$6+$8+$10}
    END {printf "%.0f %.2f %d\n", rps, p99, bad}' "$1"
}

wrk_run() { # base_url urls_file conc outfile
  URLS_FILE="$2" wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency -s bench/pings.lua "$1" >"$4" 2>&1
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

"$out/bare" -listen 127.0.0.1:8099 & sleep 0.5

echo "bench/run.sh $(date -u +%FT%TZ) DURATION=$DURATION REPS=$REPS, $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for engine in $ENGINES; do
  rm -f "$out/bench.sqlite"*
  case $engine in
    sqlite) envs=(DB=sqlite DB_NAME="$out/bench.sqlite"); seedargs=(-engine sqlite -path "$out/bench.sqlite") ;;
    postgres)
      psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS overdue_bench" -c "CREATE DATABASE overdue_bench" >/dev/null
      envs=(DB=postgres DB_HOST=127.0.0.1 DB_NAME=overdue_bench DB_USER=postgres DB_SSLMODE=disable)
      seedargs=(-engine postgres -name overdue_bench -user postgres) ;;
  esac
  "$out/seed" "${seedargs[@]}" -checks 1000 -base http://127.0.0.1:8098 -slug-urls "$out/slug-urls.txt" >"$out/uuid-urls.txt"
  for form in uuid slug; do
    sed 's#http://127.0.0.1:8098#http://127.0.0.1:8099#' "$out/$form-urls.txt" >"$out/bare-$form-urls.txt"
  done
  first_url=$(head -1 "$out/uuid-urls.txt")
  t0=$(date +%s%N)
  env "${envs[@]}" OVERDUE_BENCH_PPROF=127.0.0.1:8097 "$out/overdue" serve --listen 127.0.0.1:8098 2>"$out/serve.log" &
  pid=$!
  # Start-up to first answered ping: poll every 5 ms until a ping gets 200.
  for _ in $(seq 2000); do curl -fs -o /dev/null "$first_url" && break; sleep 0.005; done
  t1=$(date +%s%N)
  sleep 2
  echo "== $engine ($(wc -l <"$out/uuid-urls.txt") checks, wrk -t$THREADS -d$DURATION)"
  echo "start-up to first answered ping: $(( (t1 - t0) / 1000000 )) ms; idle RSS: $(ps -o rss= -p $pid) KiB"
  # One short unmeasured run per form warms the caches (UUID and slug ids,
  # SQLite pages) so that the first measured pair is not the odd one out.
  for form in $FORMS; do DURATION=2s wrk_run http://127.0.0.1:8098 "$out/$form-urls.txt" 64 /dev/null; done
  : >"$out/pairs.txt"
  for conc in $CONCS; do
    for rep in $(seq "$REPS"); do
      for form in $FORMS; do
        wrk_run http://127.0.0.1:8099 "$out/bare-$form-urls.txt" "$conc" "$out/bare.txt"
        wrk_run http://127.0.0.1:8098 "$out/$form-urls.txt" "$conc" "$out/od.txt"
        read -r brps bp99 bbad < <(parse "$out/bare.txt")
        read -r orps op99 obad < <(parse "$out/od.txt")
        ratio=$(awk -v a="$orps" -v b="$brps" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}')
        printf "%-8s %-4s c=%-3s rep %d: bare %6d req/s p99 %6.2f ms | overdue %6d req/s p99 %6.2f ms errors %d | ratio %s\n" \
          "$engine" "$form" "$conc" "$rep" "$brps" "$bp99" "$orps" "$op99" "$obad" "$ratio"
        echo "$form $conc $brps $orps $op99 $ratio $obad" >>"$out/pairs.txt"
      done
    done
  done
  echo "-- $engine: medians of $REPS alternated pairs"
  for conc in $CONCS; do
    for form in $FORMS; do
      sel() { awk -v f="$form" -v c="$conc" -v k="$1" '$1 == f && $2 == c {print $k}' "$out/pairs.txt"; }
      printf "%-8s %-4s c=%-3s bare %6.0f req/s  overdue %6.0f req/s  p99 %6.2f ms  ratio %.2f  (ratios %s) errors %d\n" \
        "$engine" "$form" "$conc" "$(sel 3 | median)" "$(sel 4 | median)" "$(sel 5 | median)" "$(sel 6 | median)" \
        "$(sel 6 | tr '\n' ' ' | sed 's/ $//')" "$(sel 7 | awk '{s+=$1} END {print s+0}')"
    done
  done
  if [[ -n $PROFILE ]]; then
    secs=$(( ${DURATION%s} > 3 ? ${DURATION%s} - 2 : 1 ))
    for form in $FORMS; do
      wrk_run http://127.0.0.1:8098 "$out/$form-urls.txt" 64 "$out/od.txt" &
      wpid=$!
      sleep 1
      curl -fs -o "$PROFILE/$engine-$form.allocs.pprof" "http://127.0.0.1:8097/debug/pprof/allocs?seconds=$secs" &
      apid=$!
      curl -fs -o "$PROFILE/$engine-$form.cpu.pprof" "http://127.0.0.1:8097/debug/pprof/profile?seconds=$secs"
      wait $wpid $apid
      echo "profiled $engine $form c=64: $(parse "$out/od.txt" | cut -d' ' -f1) req/s -> $PROFILE/$engine-$form.{cpu,allocs}.pprof"
    done
  fi
  echo "idle RSS after load: $(ps -o rss= -p $pid) KiB"
  kill $pid; wait $pid 2>/dev/null || true
done
