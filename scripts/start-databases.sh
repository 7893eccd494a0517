#!/usr/bin/env bash
# Starts the local PostgreSQL and MariaDB servers the store tests run against,
# if they are not already answering, and waits until both accept connections.
# Safe to run any number of times. Exits non-zero, saying which server is
# down, if either is not ready within TIMEOUT seconds (default 60).
#
# Then run the tests with:
#   export OVERDUE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
#   export OVERDUE_TEST_MYSQL='root@tcp(127.0.0.1:3306)/test'
set -euo pipefail

TIMEOUT="${TIMEOUT:-60}"

pg_up() { pg_isready -q -h 127.0.0.1 >/dev/null 2>&1; }
my_up() { mysqladmin -h 127.0.0.1 -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

die() {
	echo "start-databases: $*" >&2
	exit 1
}

start_postgres() {
	local versions version
	versions=$(ls /etc/postgresql 2>/dev/null || true)
	[ -n "$versions" ] || die "no PostgreSQL cluster found in /etc/postgresql"
	# The newest installed version, if several are.
	version=$(printf '%s\n' $versions | sort -V | tail -n 1)
	echo "start-databases: starting PostgreSQL $version"
	# Its exit status is ignored: "already running" is fine, and a real
	# failure shows up as pg_isready never answering below.
	pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

start_mariadb() {
	echo "start-databases: starting MariaDB"
	# /run is a tmpfs: the socket directory is gone after a reboot.
	mkdir -p /run/mysqld
	chown mysql:mysql /run/mysqld 2>/dev/null || true
	start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

pg_up || start_postgres
my_up || start_mariadb

deadline=$((SECONDS + TIMEOUT))
while :; do
	pg=down my=down
	pg_up && pg=up
	my_up && my=up
	if [ "$pg" = up ] && [ "$my" = up ]; then
		echo "start-databases: PostgreSQL and MariaDB are ready"
		exit 0
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		die "not ready after ${TIMEOUT}s: PostgreSQL is $pg, MariaDB is $my"
	fi
	sleep 1
done
