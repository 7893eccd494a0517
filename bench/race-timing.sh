#!/usr/bin/env bash
# Times `go test -race` of a set of packages at two commits, alternating
# (ABAB...) in one run so that a noisy machine weighs on both alike. Used for
# bench/RESULTS.md's "Test suite under -race" section:
#
#   bench/race-timing.sh 7f1a980 9fa8918
#
# ROUNDS (default 2) and PKGS override the defaults; the engines' variables
# (OVERDUE_TEST_POSTGRES, OVERDUE_TEST_MYSQL) are used when set.
set -euo pipefail
before=${1:?usage: bench/race-timing.sh BEFORE AFTER}
after=${2:?usage: bench/race-timing.sh BEFORE AFTER}
rounds=${ROUNDS:-2}
pkgs=${PKGS:-./cmd/overdue ./internal/api ./internal/notify/email ./internal/reports ./internal/smtpd ./internal/web}
export GOFLAGS=-buildvcs=false OVERDUE_TEST_BROWSER=${OVERDUE_TEST_BROWSER:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/a" 2>/dev/null; git -C "$repo" worktree remove --force "$work/b" 2>/dev/null; rm -rf "$work"' EXIT
git -C "$repo" worktree add -q --detach "$work/a" "$before"
git -C "$repo" worktree add -q --detach "$work/b" "$after"
# Build (and cache) both test binaries first, so that no round pays for it.
for t in a b; do (cd "$work/$t" && go test -race -count=1 -run '^$' $pkgs >/dev/null); done
for round in $(seq "$rounds"); do
  for t in a b; do
    name=$([[ $t == a ]] && echo "$before" || echo "$after")
    start=$(date +%s)
    echo "== round $round $name $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$work/$t" && go test -race -count=1 -timeout 40m $pkgs 2>&1 | grep -E '^(ok|FAIL|---)') || true
    echo "wall $name round $round: $(( $(date +%s) - start )) s"
  done
done
