#!/usr/bin/env bash
# Private PostgreSQL cluster for Mend: lives under a folder of this checkout,
# listens only on a unix socket in that folder (no TCP port, no clash with a
# system server), and is started and stopped by the project itself.
#
#   scripts/pg.sh start [DIR]   create the cluster if needed, start it, print its DATABASE_URL base
#   scripts/pg.sh stop  [DIR]   stop it cleanly
#   scripts/pg.sh url   [DIR]   print the connection URL for database "mend"
#   scripts/pg.sh bindir        print the folder of the server binaries (installs them when root)
#
# When run as root (CI is), the server runs as the unprivileged "postgres"
# user, since PostgreSQL refuses to run as root.
set -euo pipefail

cmd=${1:-start}
dir=$(realpath -m "${2:-var/pg}")
data="$dir/data"
sock="$dir/run"

find_bindir() {
	if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v pg_ctl)")"
		return 0
	fi
	local best
	best=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$best" ] && [ -x "$best/pg_ctl" ]; then
		echo "$best"
		return 0
	fi
	return 1
}

bindir() {
	if find_bindir; then return 0; fi
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "PostgreSQL server binaries not found: installing Debian's postgresql package" >&2
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		find_bindir && return 0
	fi
	echo "PostgreSQL server binaries not found. Install them with: sudo apt-get install postgresql" >&2
	exit 1
}

# as_owner runs a command as the cluster's owner: ourselves, or postgres when we are root.
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

url() {
	echo "postgres:///mend?host=$sock&user=mend&sslmode=disable"
}

start() {
	local bin
	bin=$(bindir)
	mkdir -p "$dir"
	# One starter at a time: parallel test packages may all ask at once.
	exec 9>"$dir/.lock"
	flock 9
	if [ ! -s "$data/PG_VERSION" ]; then
		mkdir -p "$data" "$sock"
		[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
		chmod 700 "$data"
		as_owner "$bin/initdb" -D "$data" -U mend --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			as_owner "$bin/initdb" -D "$data" -U mend --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		cat >>"$data/postgresql.conf" <<CONF
# Mend private cluster: unix socket only.
listen_addresses = ''
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 128MB
fsync = on
CONF
	fi
	[ "$(id -u)" = 0 ] && chown -R postgres: "$dir" && chmod 700 "$data"
	# The socket trusts every local connection: only the cluster's owner may reach it.
	chmod 700 "$sock"
	if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		as_owner setsid "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null 9>&- ||
			{ tail -n 30 "$dir/server.log" >&2; exit 1; }
	fi
	# The default database "mend".
	if ! "$bin/psql" -h "$sock" -U mend -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='mend'" | grep -q 1; then
		"$bin/psql" -h "$sock" -U mend -d postgres -qc "CREATE DATABASE mend" >/dev/null
	fi
	url
}

stop() {
	local bin
	bin=$(find_bindir) || exit 0
	[ -s "$data/PG_VERSION" ] || exit 0
	as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

case "$cmd" in
start) start ;;
stop) stop ;;
url) url ;;
bindir) bindir ;;
*) echo "usage: $0 start|stop|url|bindir [DIR]" >&2; exit 2 ;;
esac
