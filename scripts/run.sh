#!/usr/bin/env bash
# make run: Mend with demo data and nothing to configure. Keys are generated
# once into var/keys.env; without DATABASE_URL the private PostgreSQL cluster
# of var/pg (see scripts/pg.sh for where it lives) is started and stopped
# with Mend.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
if [ ! -s var/keys.env ]; then
	umask 077
	{
		echo "MEND_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "MEND_AUDIT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	} >var/keys.env
	echo "Generated keys in var/keys.env (keep them: the audit trail is chained with MEND_AUDIT_KEY)."
fi
set -a
# shellcheck disable=SC1091
. var/keys.env
set +a

started=""
if [ -z "${DATABASE_URL:-}" ]; then
	DATABASE_URL=$(scripts/pg.sh start var/pg)
	export DATABASE_URL
	started=1
	echo "Private PostgreSQL running on the unix socket in $(scripts/pg.sh where var/pg)/run."
fi

stop() {
	if [ -n "$started" ]; then
		scripts/pg.sh stop var/pg
		echo "PostgreSQL stopped."
	fi
}
trap stop EXIT
# Ctrl-C reaches mend through the terminal; it finishes in-flight requests and exits.
trap 'kill -INT "$pid" 2>/dev/null || true' INT TERM
bin/mend serve --seed-demo &
pid=$!
wait "$pid" || wait "$pid" || true
