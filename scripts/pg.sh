#!/usr/bin/env bash
# Private PostgreSQL cluster for Mend: one per folder of a checkout (var/pg
# for make run, var/pgtest for make test), listening only on a unix socket
# in a folder only its owner may enter (no TCP port, no clash with a system
# server, no other local user can connect: the cluster trusts local
# connections), started and stopped by the project itself.
#
#   scripts/pg.sh start   [DIR]   create the cluster if needed, start it, print its DATABASE_URL base
#   scripts/pg.sh stop    [DIR]   stop it cleanly
#   scripts/pg.sh status  [DIR]   exit 0 when it is running
#   scripts/pg.sh destroy [DIR]   stop it and delete its data
#   scripts/pg.sh url     [DIR]   print the connection URL for database "mend"
#   scripts/pg.sh where   [DIR]   print the folder that holds its data, socket and log
#   scripts/pg.sh bindir          print the folder of the server binaries (installs them when root)
#
# Where the cluster lives: as a normal user, in DIR itself. As root (CI,
# containers) the server runs as the unprivileged "postgres" user, since
# PostgreSQL refuses to run as root, and postgres cannot enter a checkout
# under a folder only root may enter (/root, mktemp -d). So root's clusters
# live under $MEND_PG_HOME (default /var/lib/mend-dev, root's, which
# postgres may pass through but not list), each in a folder named after
# DIR's full path (pgtest-<12 hex of its sha256>): two checkouts never
# share a cluster, and the file "checkout" in it names the one it serves.
# A cluster that an earlier version of this script made inside DIR keeps
# being used there while postgres can reach it.
set -euo pipefail

cmd=${1:-start}
dir=$(realpath -m "${2:-var/pg}")
pg_home_root=${MEND_PG_HOME:-/var/lib/mend-dev}

is_root() { [ "$(id -u)" = 0 ]; }

# as_owner runs a command as the cluster's owner: ourselves, or postgres when
# we are root (from /, since postgres may not be able to enter the current
# folder, and the server tools complain when they cannot).
as_owner() {
	if is_root; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

home=$dir
if is_root && ! { [ -s "$dir/data/PG_VERSION" ] && runuser -u postgres -- test -r "$dir/data/PG_VERSION" 2>/dev/null; }; then
	home="$pg_home_root/$(basename "$dir")-$(printf %s "$dir" | sha256sum | cut -c1-12)"
fi
data="$home/data"
sock="$home/run"

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
	if is_root && command -v apt-get >/dev/null 2>&1; then
		echo "PostgreSQL server binaries not found: installing Debian's postgresql package" >&2
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		find_bindir && return 0
	fi
	echo "PostgreSQL server binaries not found. Install them with: sudo apt-get install postgresql" >&2
	exit 1
}

url() {
	echo "postgres:///mend?host=$sock&user=mend&sslmode=disable"
}

# prepare makes the cluster's folder, its socket folder (owner only) and, as
# root, the postgres-reachable place that holds them.
prepare() {
	if is_root && [ "$home" != "$dir" ] && [ ! -d "$pg_home_root" ]; then
		# Made here: root's, and postgres may pass through but not list it.
		# (An existing folder, such as one named by MEND_PG_HOME, is left as it is.)
		mkdir -p "$pg_home_root"
		chmod 711 "$pg_home_root"
	fi
	mkdir -p "$home" "$sock"
	if is_root; then
		chown postgres: "$home" "$sock"
		chmod 700 "$home"
		if ! runuser -u postgres -- test -w "$home"; then
			echo "pg.sh: the postgres user cannot reach $home; set MEND_PG_HOME to a folder it can reach" >&2
			exit 1
		fi
	fi
	chmod 700 "$sock"
	if [ "$home" != "$dir" ]; then
		echo "$dir" >"$home/checkout"
	fi
}

start() {
	local bin
	bin=$(bindir)
	prepare
	# One starter at a time: parallel test packages may all ask at once.
	exec 9>"$home/.lock"
	flock 9
	if [ ! -s "$data/PG_VERSION" ]; then
		mkdir -p "$data"
		is_root && chown postgres: "$data"
		chmod 700 "$data"
		as_owner "$bin/initdb" -D "$data" -U mend --auth=trust -E UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1 ||
			as_owner "$bin/initdb" -D "$data" -U mend --auth=trust -E UTF8 --locale=C >"$home/initdb.log" 2>&1 ||
			{ cat "$home/initdb.log" >&2; exit 1; }
		cat >>"$data/postgresql.conf" <<CONF
# Mend private cluster: unix socket only.
listen_addresses = ''
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 128MB
fsync = on
CONF
	fi
	# The test cluster (var/pgtest) holds only databases that tests create
	# and drop, rebuilt from the migrations when lost: it runs without
	# fsync, which spares the disk flush of every commit of thousands of
	# CREATE DATABASE and fixture transactions. make run's cluster keeps it.
	local opts=""
	case "$(basename "$dir")" in
	pgtest*) opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
	esac
	if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		as_owner setsid "$bin/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 -o "$opts" start >/dev/null 9>&- ||
			{ tail -n 30 "$home/server.log" >&2; exit 1; }
	fi
	# The default database "mend".
	if ! "$bin/psql" -h "$sock" -U mend -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='mend'" | grep -q 1; then
		"$bin/psql" -h "$sock" -U mend -d postgres -qc "CREATE DATABASE mend" >/dev/null
	fi
	url
}

stop() {
	local bin
	bin=$(find_bindir) || return 0
	[ -s "$data/PG_VERSION" ] || return 0
	as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

status() {
	local bin
	bin=$(find_bindir) || exit 1
	[ -s "$data/PG_VERSION" ] || exit 1
	as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

destroy() {
	stop
	rm -rf "$home" "$dir"
}

case "$cmd" in
start) start ;;
stop) stop ;;
status) status ;;
destroy) destroy ;;
url) url ;;
where) echo "$home" ;;
bindir) bindir ;;
*) echo "usage: $0 start|stop|status|destroy|url|where|bindir [DIR]" >&2; exit 2 ;;
esac
