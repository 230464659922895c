#!/usr/bin/env bash
# make test: every test against a real PostgreSQL. Without TEST_DATABASE_URL
# the private test cluster of var/pgtest is started (and left running for
# the next run; scripts/pg.sh stop var/pgtest stops it, scripts/pg.sh where
# var/pgtest says where it lives). Browser tests run
# when Chromium is installed (MEND_BROWSER=/path overrides; CI requires them
# with MEND_BROWSER_TESTS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_DATABASE_URL:-}" ]; then
	url=$(scripts/pg.sh start var/pgtest)
	export TEST_DATABASE_URL="${url/\/mend\?/\/postgres?}"
fi
if [ -z "${MEND_BROWSER:-}" ]; then
	for b in chromium chromium-browser google-chrome; do
		if command -v "$b" >/dev/null 2>&1; then
			MEND_BROWSER=$(command -v "$b")
			break
		fi
	done
fi
export MEND_BROWSER=${MEND_BROWSER:-}
if [ -z "$MEND_BROWSER" ]; then
	echo "note: Chromium not found, browser tests will be skipped (apt-get install chromium)"
fi
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
	# -parallel 4 on 2 cores: parallel tests mostly wait on PostgreSQL and
	# Chromium, not the CPU (docs/testing.md).
	args=(-race -count=1 -timeout 20m -parallel 4)
fi
# Packages named on the command line (./internal/web, ./...) are tested
# alone; without any, every package is. (Appending ./... unconditionally made
# "scripts/test.sh -run TestX ./internal/web" test the whole module.)
pkgs=(./...)
for a in "${args[@]}"; do
	case "$a" in
	./* | ../* | github.com/*) pkgs=() ;;
	esac
done
go test "${args[@]}" "${pkgs[@]}"
