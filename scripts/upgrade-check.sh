#!/usr/bin/env bash
# make upgrade-check [REF=HEAD~1]: an instance of REF keeps answering while
# the current working tree migrates its database, as in a rolling deploy
# (docs/migrations.md).
#
#   1. build REF (git archive, nothing in the repository changes) and the working tree;
#   2. start REF's mend serve on a private cluster of its own and load the demo practice;
#   3. check REF's main pages and API reads, signed in with the demo logins;
#   4. run the working tree's mend migrate while REF's instance is polled, then check again;
#   5. restart REF's instance on the migrated schema (a crash mid-deploy) and check again;
#   6. start the working tree's mend serve beside it and check both.
#
# Everything lives in a private temporary folder and is removed at the end,
# cluster included.
set -euo pipefail
cd "$(dirname "$0")/.."
ref=${1:-HEAD~1}
rev=$(git rev-parse --verify -q "$ref^{commit}") || { echo "upgrade-check: $ref is not a commit" >&2; exit 2; }
command -v curl >/dev/null || { echo "upgrade-check: needs curl (apt-get install curl)" >&2; exit 1; }

work=$(mktemp -d)
chmod 700 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	scripts/pg.sh destroy "$work/pg" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
free_port() {
	local p
	for p in $(seq "$1" $(($1 + 50))); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	echo "upgrade-check: no free port from $1" >&2
	return 1
}

echo "== build $ref ($(git log -1 --format='%h %s' "$rev")) and the working tree"
mkdir "$work/old"
git archive "$rev" | tar -x -C "$work/old"
short=$(git rev-parse --short "$rev")
(cd "$work/old" && go build -ldflags "-X main.version=$short" -o "$work/mend-old" ./cmd/mend)
go build -ldflags "-X main.version=working-tree" -o "$work/mend-new" ./cmd/mend

echo "== private cluster"
DATABASE_URL=$(scripts/pg.sh start "$work/pg")
MEND_SECRET_KEY=$(hex)
MEND_AUDIT_KEY=$(hex)
export DATABASE_URL MEND_SECRET_KEY MEND_AUDIT_KEY
"$work/mend-old" migrate >/dev/null
"$work/mend-old" seed-demo >/dev/null
echo "   $ref's schema, with the demo practice"

# serve NAME BINARY PORT: start an instance and wait until it answers.
serve() {
	local name=$1 bin=$2 port=$3
	MEND_ADDR="127.0.0.1:$port" "$bin" serve >>"$work/$name.log" 2>&1 &
	pids+=($!)
	eval "pid_$name=$!"
	for _ in $(seq 1 60); do
		if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; then return 0; fi
		sleep 0.5
	done
	echo "upgrade-check: $name did not start:" >&2
	tail -n 20 "$work/$name.log" >&2
	exit 1
}

failures=0
# expect BASE JAR PATH: a GET answered 200.
expect() {
	local code
	code=$(curl -s -o "$work/body" -w '%{http_code}' -b "$2" "$1$3" || echo 000)
	if [ "$code" != 200 ]; then
		echo "   FAIL $3: $code"
		failures=$((failures + 1))
	fi
}
# login BASE JAR EMAIL: sign in through the login form (CSRF token and all).
login() {
	local token code
	rm -f "$2"
	token=$(curl -s -c "$2" -b "$2" "$1/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
	code=$(curl -s -o /dev/null -w '%{http_code}' -c "$2" -b "$2" --data-urlencode "email=$3" \
		--data-urlencode "password=mend-demo-2026-practice" --data-urlencode "csrf_token=$token" "$1/login")
	if [ -z "$token" ] || [ "$code" != 303 ]; then
		echo "   FAIL sign in as $3: $code"
		failures=$((failures + 1))
	fi
}
# api BASE EMAIL PATH...: sign in through the API, then GET each path.
api() {
	local base=$1 email=$2 token code p
	shift 2
	token=$(curl -s -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"mend-demo-2026-practice\"}" "$base/api/v1/auth/login" |
		sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
	if [ -z "$token" ]; then
		echo "   FAIL API sign in as $email"
		failures=$((failures + 1))
		return
	fi
	for p in "$@"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base$p" || echo 000)
		if [ "$code" != 200 ]; then
			echo "   FAIL API $p as $email: $code"
			failures=$((failures + 1))
		fi
	done
}
# first_link PATTERN: the first link in the last page read that matches.
first_link() { grep -o "href=\"$1\"" "$work/body" | head -n 1 | sed 's/^href="//; s/"$//' || true; }

# need VALUE WHAT: VALUE is not empty (a link was found).
need() {
	[ -n "$1" ] && return 0
	echo "   FAIL no $2"
	failures=$((failures + 1))
	return 1
}

# check NAME PORT: the main reads of every role answer 200.
check() {
	local name=$1 base="http://127.0.0.1:$2" jar="$work/jar-$1-$2" before=$failures resp couple asg
	login "$base" "$jar.admin" admin@harbor.example
	for p in / /admin/couples /admin/counselors /admin/caseloads /admin/audit /account/security; do expect "$base" "$jar.admin" "$p"; done
	login "$base" "$jar.maya" maya@harbor.example
	for p in / /library; do expect "$base" "$jar.maya" "$p"; done
	expect "$base" "$jar.maya" /review
	resp=$(first_link '/responses/[0-9]*')
	expect "$base" "$jar.maya" /caseload
	couple=$(first_link '/couples/[0-9]*')
	if need "$couple" "couple on maya's caseload"; then
		expect "$base" "$jar.maya" "$couple"
		asg=$(first_link '/assignments/[0-9]*')
		need "$asg" "assignment on $couple" && expect "$base" "$jar.maya" "$asg"
	fi
	need "$resp" "response in maya's review queue" && expect "$base" "$jar.maya" "$resp"
	login "$base" "$jar.lucia" lucia@example.com
	expect "$base" "$jar.lucia" /
	resp=$(first_link '/responses/[0-9]*')
	need "$resp" "response on lucia's home" && expect "$base" "$jar.lucia" "$resp"
	api "$base" maya@harbor.example /api/v1/me /api/v1/assignments /api/v1/review-queue /api/v1/caseload /api/v1/exercise-templates /api/v1/counts
	api "$base" admin@harbor.example /api/v1/couples /api/v1/counselors /api/v1/audit
	api "$base" lucia@example.com /api/v1/assignments /api/v1/counts
	if [ "$failures" = "$before" ]; then echo "   $name on :$2 answers"; fi
}

old_port=$(free_port 18200)
serve old "$work/mend-old" "$old_port"
echo "== $ref's instance, before the migration"
check old "$old_port"

echo "== the working tree's mend migrate, while $ref's instance is polled"
# The counselor's review queue and the first response in it, in turn.
login "http://127.0.0.1:$old_port" "$work/jar-poll" maya@harbor.example
expect "http://127.0.0.1:$old_port" "$work/jar-poll" /review
polled=(/review "$(first_link '/responses/[0-9]*')")
(
	n=0
	while [ ! -e "$work/stop-poll" ] && [ "$n" -lt 6000 ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -b "$work/jar-poll" "http://127.0.0.1:$old_port${polled[$((n % 2))]}" || echo 000
		n=$((n + 1))
		sleep 0.05
	done
) >"$work/poll" &
poller=$!
sleep 1
"$work/mend-new" migrate | tee "$work/migrate.out" | sed 's/^/   /'
sleep 1
touch "$work/stop-poll"
wait "$poller"
total=$(wc -l <"$work/poll")
bad=$(grep -vc '^200$' "$work/poll" || true)
echo "   $total polls of $ref's ${polled[*]} during the migration, $bad not 200"
if [ "$bad" != 0 ]; then failures=$((failures + 1)); sort "$work/poll" | uniq -c; fi

if grep -q 'applied 0 migration' "$work/migrate.out"; then
	echo "   note: the working tree has no migration $ref lacks, so this run proves little; give an older REF"
fi

echo "== $ref's instance, after the migration"
check old "$old_port"

echo "== $ref's instance restarted on the migrated schema"
# shellcheck disable=SC2154 # set by serve
kill -INT "$pid_old"
wait "$pid_old" || true
serve old "$work/mend-old" "$old_port"
check old "$old_port"

echo "== the working tree's instance beside it"
new_port=$(free_port $((old_port + 1)))
serve new "$work/mend-new" "$new_port"
check new "$new_port"
check old "$old_port"

echo "== the audit trail both releases appended to"
# Audited reads of both instances above: it still verifies end to end.
if "$work/mend-new" audit verify | sed 's/^/   /'; then :; else
	echo "   FAIL mend audit verify"
	failures=$((failures + 1))
fi

if [ "$failures" != 0 ]; then
	echo "upgrade-check: $failures failures (logs of the instances follow)"
	for f in "$work"/old.log "$work"/new.log; do [ -e "$f" ] && { echo "-- $f"; grep -E 'level=(ERROR|WARN)' "$f" | tail -n 20; }; done
	exit 1
fi
echo "upgrade-check: an instance of $ref kept answering while the working tree migrated, and after"
