#!/usr/bin/env bash
# The project's test command (README: "Run the tests"). On a fresh Debian
# machine it installs what the tests need, starts PostgreSQL and MariaDB when
# they are down, and runs vet, staticcheck and the race-enabled test suite on
# all three database engines.
#
#   scripts/test.sh            everything, all engines (what CI runs)
#   scripts/test.sh --sqlite   SQLite only, no database servers needed
set -euo pipefail
cd "$(dirname "$0")/.."

engines=all
if [[ "${1:-}" == "--sqlite" ]]; then engines=sqlite; shift; fi

export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin"
# staticcheck's release 2026.2.2 is the module version v0.8.2; the module proxy
# only knows the latter.
STATICCHECK_VERSION=2026.2.2
STATICCHECK_MODULE_VERSION=v0.8.2

if ! command -v staticcheck >/dev/null || [[ "$(staticcheck -version 2>/dev/null)" != *"$STATICCHECK_VERSION"* ]]; then
  echo "== installing staticcheck $STATICCHECK_VERSION"
  (cd /tmp && GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_MODULE_VERSION")
fi

# promtool (Debian's prometheus package) lints the /metrics output in the tests.
if ! command -v promtool >/dev/null; then
  echo "== installing promtool (prometheus)"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# The browser tests (cmd/overdue/browser_test.go) drive Debian's Chromium;
# with OVERDUE_TEST_BROWSER=1 a missing browser fails them instead of
# skipping them.
if ! command -v chromium >/dev/null; then
  echo "== installing chromium"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
export OVERDUE_TEST_BROWSER=1

if [[ "$engines" == all ]]; then
  echo "== starting databases"
  scripts/start-databases.sh
  export OVERDUE_TEST_POSTGRES="${OVERDUE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
  export OVERDUE_TEST_MYSQL="${OVERDUE_TEST_MYSQL:-root@tcp(127.0.0.1:3306)/test}"
else
  unset OVERDUE_TEST_POSTGRES OVERDUE_TEST_MYSQL
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then echo "gofmt would change: $unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
staticcheck ./...

echo "== go build (static, no cgo), as README's \"Run it\" builds it"
# The README promises one static binary: build it with the README's command
# and check that the ELF file asks for no dynamic loader and no shared library.
if ! command -v readelf >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils >/dev/null
fi
build_dir=$(mktemp -d)
CGO_ENABLED=0 go build -o "$build_dir/overdue" ./cmd/overdue
if readelf -lW "$build_dir/overdue" | grep -q 'INTERP' || readelf -dW "$build_dir/overdue" | grep -q 'NEEDED'; then
  echo "the binary built by the README's command is dynamically linked:"; readelf -dW "$build_dir/overdue" | grep NEEDED || true
  exit 1
fi
rm -rf "$build_dir"

echo "== contrib: replay the Dockerfile without an engine, verify the systemd unit"
scripts/check-contrib.sh

echo "== go test -race"
go test -race -count=1 -timeout 20m "$@" ./...

# Real-time bounds (a /fail ping notifies within one second) hold only
# loosely under the race detector, which slows the server tens of times; run
# those tests once more at normal speed.
echo "== real-time tests without -race"
go test -count=1 -run 'TestFailPingNotifiesWithinOneSecond' ./cmd/overdue/
