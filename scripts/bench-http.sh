#!/usr/bin/env bash
# make bench-http: Mend's pages under load, side by side with a bare Echo +
# lib/pq + html/template handler (cmd/benchref, TechEmpower's "fortunes") in
# the same run, on the same machine and PostgreSQL cluster. A benchmark,
# not a test: make test and CI never run it. See docs/performance.md.
#
#   make bench-http [N=1000000] [CLINICS=16] [ROUNDS=3] [DURATION=10s] [RESEED=1]
#
# 1. builds bin/mend and bin/benchref;
# 2. starts a private PostgreSQL cluster of its own (scripts/pg.sh, folder
#    var/benchpg) and, unless it already holds them, seeds N assignments over
#    CLINICS clinics (mend seed-load); the seeded cluster is kept between
#    runs (RESEED=1 seeds again; scripts/pg.sh destroy var/benchpg deletes it);
# 3. starts mend serve and benchref, signs in the way a browser does (GET
#    /login for the CSRF token, form POST, session cookie): a partner, a
#    counselor with ~40 couples, an API token for that counselor, and
#    SESSIONS partners spread over every clinic;
# 4. runs every scenario and the reference in ROUNDS rounds with wrk
#    (Debian's package), each for DURATION, the reference first in each
#    round, and prints one table: rps, p50, p99, Mend's ratio to the
#    reference per round and the median of the rounds, and the peak RSS of
#    mend serve (VmHWM).
#
# ONLY="home review" runs only those scenarios (names as in the table);
# MEND_BIN=path measures that mend binary instead of building this tree.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
CLINICS=${CLINICS:-16}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SESSIONS=${SESSIONS:-128}
MEND_PORT=${MEND_PORT:-18080}
REF_PORT=${REF_PORT:-18081}
ONLY=${ONLY:-}
work=var/bench
pg=var/benchpg

command -v wrk >/dev/null || { echo "bench-http: needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench-http: needs curl (apt-get install curl)" >&2; exit 1; }
mkdir -p "$work"
chmod 700 "$work"

echo "== build"
# MEND_BIN=path measures a mend binary built elsewhere (an earlier commit).
mendbin=${MEND_BIN:-bin/mend}
[ -n "${MEND_BIN:-}" ] || go build -o bin/mend ./cmd/mend
go build -o bin/benchref ./cmd/benchref

bin=$(scripts/pg.sh bindir)
psqlc() { "$bin/psql" "$url" -X -Atq -v ON_ERROR_STOP=1 "$@"; }

echo "== PostgreSQL ($(scripts/pg.sh where $pg))"
base=$(scripts/pg.sh start $pg)
url=$base
sock=${base#*host=}
sock=${sock%%&*}
refurl="postgres:///benchref?host=$sock&user=mend&sslmode=disable"
if ! "$bin/psql" -h "$sock" -U mend -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'benchref'" | grep -q 1; then
	"$bin/psql" -h "$sock" -U mend -d postgres -qc "CREATE DATABASE benchref" >/dev/null
fi

if [ ! -s "$work/keys.env" ]; then
	(umask 077 && {
		echo "MEND_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "MEND_AUDIT_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	} >"$work/keys.env")
fi
set -a
# shellcheck disable=SC1091
. "$work/keys.env"
set +a
export DATABASE_URL=$url

# What the database was seeded with is noted on it, so a run with other
# figures seeds again.
seeded() {
	psqlc -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'mend'" 2>/dev/null || true
}
if [ -n "${RESEED:-}" ] || [ "$(seeded)" != "bench-http N=$N CLINICS=$CLINICS" ]; then
	echo "== seeding $N assignments over $CLINICS clinics (kept for the next runs; RESEED=1 seeds again)"
	"$bin/psql" -h "$sock" -U mend -d postgres -qc "DROP DATABASE IF EXISTS mend" >/dev/null
	"$bin/psql" -h "$sock" -U mend -d postgres -qc "CREATE DATABASE mend" >/dev/null
	"$mendbin" seed-load --assignments "$N" --clinics "$CLINICS"
	psqlc -c "VACUUM ANALYZE"
	psqlc -c "COMMENT ON DATABASE mend IS 'bench-http N=$N CLINICS=$CLINICS'"
else
	echo "== reusing the seeded database: $N assignments, $CLINICS clinics"
fi

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "${KEEP_PG:-}" ] || scripts/pg.sh stop $pg
}
trap cleanup EXIT

for port in "$MEND_PORT" "$REF_PORT"; do
	if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		echo "bench-http: port $port is in use (MEND_PORT, REF_PORT)" >&2
		exit 1
	fi
done
mend=http://127.0.0.1:$MEND_PORT
ref=http://127.0.0.1:$REF_PORT

echo "== starting mend serve and benchref"
MEND_ADDR=127.0.0.1:$MEND_PORT MEND_MAIL_DIR=$work/mail "$mendbin" serve >"$work/mend.log" 2>&1 &
mend_pid=$!
pids+=("$mend_pid")
DATABASE_URL=$refurl BENCHREF_ADDR=127.0.0.1:$REF_PORT bin/benchref >"$work/benchref.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do
	if curl -sf -o /dev/null "$mend/healthz" && curl -sf -o /dev/null "$ref/fortunes"; then break; fi
	sleep 0.2
done
curl -sf -o /dev/null "$mend/healthz" || { tail -n 30 "$work/mend.log" >&2; exit 1; }
curl -sf -o /dev/null "$ref/fortunes" || { tail -n 30 "$work/benchref.log" >&2; exit 1; }

password=load-test-password-2026
csrf_of() { grep -o 'name="csrf_token" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//'; }

# signin EMAIL prints "mend_session=TOKEN<TAB>CSRF": the login page for its
# CSRF token, the form post, then a page of the new session for its token.
signin() {
	local jar page csrf cookie
	jar=$(mktemp "$work/jar.XXXXXX")
	csrf=$(curl -sf -c "$jar" -b "$jar" "$mend/login" | csrf_of)
	curl -sf -o /dev/null -c "$jar" -b "$jar" --data-urlencode "email=$1" --data-urlencode "password=$password" \
		--data-urlencode "csrf_token=$csrf" "$mend/login"
	cookie=$(awk '$6 ~ /mend_session$/ {print $7}' "$jar" | tail -n 1)
	rm -f "$jar"
	[ -n "$cookie" ] || { echo "bench-http: sign-in of $1 failed" >&2; return 1; }
	page=$(curl -sf -b "mend_session=$cookie" "$mend/")
	csrf=$(csrf_of <<<"$page")
	printf 'mend_session=%s\t%s\n' "$cookie" "$csrf"
}

rss() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$mend_pid/status"; }

echo "== signing in"
first_clinic=$(psqlc -c "SELECT min(id) FROM clinics WHERE name LIKE 'Load test %'")
read -r client counselor ncouples < <(psqlc -F ' ' -c "SELECT uc.email, uk.email,
		(SELECT count(*) FROM couples x WHERE x.counselor_id = c.counselor_id AND x.clinic_id = c.clinic_id)
	FROM couples c JOIN partners p ON p.couple_id = c.id AND p.slot = 'A' JOIN users uc ON uc.id = p.user_id
	JOIN users uk ON uk.id = c.counselor_id WHERE c.clinic_id = $first_clinic ORDER BY c.id LIMIT 1")
printf '%s\t/\t\n' "$(signin "$client")" >"$work/home.tsv"
printf '%s\t/review\t\n' "$(signin "$counselor")" >"$work/review.tsv"
token=$(curl -sf -H 'Content-Type: application/json' -d "{\"email\":\"$counselor\",\"password\":\"$password\"}" "$mend/api/v1/auth/login" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "bench-http: API sign-in failed" >&2; exit 1; }
printf '\t\t/api/v1/review-queue\t\n' >"$work/api.tsv"

# SESSIONS partners, round-robin over the clinics: each with a response of
# their own that the counselor accepted (the response page, an audited
# read) and a draft (autosave).
per=$(((SESSIONS + CLINICS - 1) / CLINICS))
psqlc -F $'\t' -c "WITH picked AS (
		SELECT p.id, p.couple_id, u.email, row_number() OVER (PARTITION BY p.clinic_id ORDER BY p.id) AS n, p.clinic_id
		FROM partners p JOIN users u ON u.id = p.user_id JOIN clinics k ON k.id = p.clinic_id
		WHERE p.slot = 'A' AND k.name LIKE 'Load test %'),
	withwork AS (
		SELECT pk.email, pk.n, pk.clinic_id,
			(SELECT r.id FROM responses r WHERE r.couple_id = pk.couple_id AND r.partner_id = pk.id AND r.status = 'accepted' ORDER BY r.id LIMIT 1) AS accepted,
			(SELECT r.id FROM responses r WHERE r.couple_id = pk.couple_id AND r.partner_id = pk.id AND r.status = 'draft' ORDER BY r.id LIMIT 1) AS draft
		FROM picked pk WHERE pk.n <= $per + 4)
	SELECT email, accepted, draft FROM (
		SELECT w.*, row_number() OVER (PARTITION BY clinic_id ORDER BY n) AS m FROM withwork w
		WHERE accepted IS NOT NULL AND draft IS NOT NULL) x
	WHERE m <= $per ORDER BY m, clinic_id LIMIT $SESSIONS" >"$work/partners.tsv"
export -f signin csrf_of
export mend password work
cut -f1 "$work/partners.tsv" | xargs -P 4 -I{} bash -c 'printf "%s\t%s\n" "{}" "$(signin "{}")"' >"$work/signed.tsv"
: >"$work/responses.tsv"
: >"$work/autosave.tsv"
k=0
declare -A sess
while IFS=$'\t' read -r email cookie csrf; do sess[$email]="$cookie"$'\t'"$csrf"; done <"$work/signed.tsv"
versions=""
while IFS=$'\t' read -r email accepted draft; do
	k=$((k + 1))
	printf '%s\t/responses/%s\t%s\n' "${sess[$email]}" "$accepted" "$accepted" >>"$work/responses.tsv"
	printf '%s\t/responses/%s/autosave\t%s\n' "${sess[$email]}" "$draft" "$draft" >>"$work/autosave.tsv"
	versions+="($draft, $((k * 1000000))),"
done <"$work/partners.tsv"
# Session k's draft gets version k*1000000 (see scripts/bench-http.lua).
psqlc -c "UPDATE responses r SET version = v.version FROM (VALUES ${versions%,}) v(id, version) WHERE r.id = v.id"
echo "   partner $client, counselor $counselor ($ncouples couples), $k partners over $(cut -f1 "$work/partners.tsv" | wc -l) sessions in $CLINICS clinics"

# Every scenario answers 200 before it is measured.
check() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$@")
	[ "$code" = 200 ] || { echo "bench-http: $* answered $code" >&2; exit 1; }
}
check "$ref/fortunes"
check -b "$(cut -f1 "$work/home.tsv")" "$mend/"
check -b "$(cut -f1 "$work/review.tsv")" "$mend/review"
check -H "Authorization: Bearer $token" "$mend/api/v1/review-queue"
check -b "$(head -n 1 "$work/responses.tsv" | cut -f1)" "$mend$(head -n 1 "$work/responses.tsv" | cut -f3)"

# scenario NAME CONNS: the URL, sessions file, mode and header of each.
declare -A s_url s_file s_mode s_auth
add() { s_url[$1]=$2; s_file[$1]=$3; s_mode[$1]=${4:-get}; s_auth[$1]=${5:-}; }
add ref "$ref/fortunes" ""
add home "$mend/" "$work/home.tsv"
add review "$mend/review" "$work/review.tsv"
add api-review "$mend/api/v1/review-queue" "$work/api.tsv" get "Bearer $token"
add response "$mend/" "$work/responses.tsv"
add autosave "$mend/" "$work/autosave.tsv" autosave
plan=("ref $CONNS" "home $CONNS" "review $CONNS" "api-review $CONNS" "response $CONNS" "autosave $CONNS" "ref 1" "home 1" "review 1")

want() { [ -z "$ONLY" ] || [ "$1" = ref ] || [[ " $ONLY " == *" $1 "* ]]; }

# run NAME CONNS DURATION prints "requests rps p50_us p99_us non200 socket_errors 409s".
run() {
	local name=$1 c=$2 d=$3 t=$THREADS
	[ "$c" -ge "$t" ] || t=$c
	BENCH_SESSIONS=${s_file[$name]} BENCH_MODE=${s_mode[$name]} BENCH_AUTH=${s_auth[$name]} BENCH_THREADS=$t \
		wrk -t"$t" -c"$c" -d"$d" --timeout 10s -s scripts/bench-http.lua "${s_url[$name]}" | sed -n 's/^RESULT //p'
}

echo "   peak RSS of mend serve after signing in: $(rss) MB"
echo "== warm-up (2 s each)"
for p in "${plan[@]}"; do
	read -r name c <<<"$p"
	want "$name" && run "$name" "$c" 2s >/dev/null
done

results=$work/results.tsv
: >"$results"
for r in $(seq 1 "$ROUNDS"); do
	echo "== round $r of $ROUNDS"
	for p in "${plan[@]}"; do
		read -r name c <<<"$p"
		want "$name" || continue
		out=$(run "$name" "$c" "$DURATION")
		[ -n "$out" ] || { echo "bench-http: wrk gave no result for $name" >&2; exit 1; }
		printf '%s\t%s\t%s\t%s\n' "$r" "$name" "$c" "$out" | tr ' ' '\t' >>"$results"
		printf '   %-11s %3s conns  %s\n' "$name" "$c" "$out"
	done
	echo "   peak RSS of mend serve so far: $(rss) MB"
done
peak=$(rss)
# wrk drops its connections at the end of each run: those requests end
# "context canceled"; any other failure is worth a look.
if grep 'msg="request failed"' "$work/mend.log" | grep -qv 'context canceled\|canceling statement due to user request'; then
	echo "note: mend serve logged failed requests; see $work/mend.log"
fi

echo
echo "Mend vs the bare handler: N=$N assignments, $CLINICS clinics, wrk -t$THREADS, $DURATION per run, $ROUNDS rounds, $(nproc) cores"
awk -F'\t' -v rounds="$ROUNDS" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ key = $2 " " $3; r = $1; rps[key, r] = $5; p50[key, r] = $6 / 1000; p99[key, r] = $7 / 1000; bad[key, r] = $8 + $9
  if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
END {
	printf "%-16s %-6s %9s %8s %8s %9s %8s %8s %8s %9s %6s\n", "scenario", "round", "rps", "p50 ms", "p99 ms", "ref rps", "ref p50", "ref p99", "rps/ref", "p99/ref", "non200"
	for (i = 1; i <= n; i++) {
		key = order[i]; split(key, kc, " "); rk = "ref " kc[2]
		if (kc[1] == "ref") continue
		m = 0
		for (r = 1; r <= rounds; r++) {
			if (!((key, r) in rps)) continue
			m++
			ra = rps[key, r] / rps[rk, r]; pa = p99[key, r] / p99[rk, r]
			A[m] = rps[key, r]; B[m] = p50[key, r]; C[m] = p99[key, r]; D[m] = rps[rk, r]; E[m] = p50[rk, r]; F[m] = p99[rk, r]; G[m] = ra; H[m] = pa
			printf "%-16s %-6s %9.0f %8.2f %8.2f %9.0f %8.2f %8.2f %8.3f %9.1f %6d\n", kc[1] " ×" kc[2], r, rps[key, r], p50[key, r], p99[key, r], rps[rk, r], p50[rk, r], p99[rk, r], ra, pa, bad[key, r]
		}
		printf "%-16s %-6s %9.0f %8.2f %8.2f %9.0f %8.2f %8.2f %8.3f %9.1f\n", kc[1] " ×" kc[2], "median", median(A, m), median(B, m), median(C, m), median(D, m), median(E, m), median(F, m), median(G, m), median(H, m)
	}
}' "$results"
echo "peak RSS of mend serve (VmHWM): $peak MB"
