# Mend: two commands do all set-up on a fresh machine.
#   make run    start Mend with demo data on http://localhost:8080 (private PostgreSQL for ./var/pg)
#   make test   run every test against a real PostgreSQL (and headless Chromium when present)
# The private clusters live in ./var/pg and ./var/pgtest, or, as root, under
# /var/lib/mend-dev/ (scripts/pg.sh where var/pg prints the folder).
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run test build vet fmt fuzz bench bench-http db-start db-stop demo-reset upgrade-check vuln clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/mend ./cmd/mend

run: build
	@scripts/run.sh

test:
	@scripts/test.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed:"; gofmt -l .; exit 1)

fmt:
	gofmt -w cmd internal migrations policies templates

# Brief coverage-guided fuzzing of every fuzz target (FUZZTIME per target).
FUZZTIME ?= 10s
fuzz:
	@scripts/fuzz.sh $(FUZZTIME)

bench:
	@scripts/test.sh -run '^$$' -bench . -benchtime 1x

# Pages under load next to a bare Echo handler (docs/performance.md); not run by make test or CI.
# N (assignments, default 1000000), CLINICS, ROUNDS, DURATION, RESEED=1, ONLY="home review".
bench-http:
	@scripts/bench-http.sh

db-start:
	@scripts/pg.sh start var/pg

db-stop:
	@scripts/pg.sh stop var/pg

# Throw away the private cluster of make run (demo data and all; keys stay)
# so the next make run loads a fresh demo dated from today.
demo-reset:
	@scripts/pg.sh destroy var/pg

# An instance of REF (default the previous commit) keeps answering while
# this tree migrates its database (docs/migrations.md). Not run by CI.
REF ?= HEAD~1
upgrade-check:
	@scripts/upgrade-check.sh $(REF)

# govulncheck needs its vulnerability database online; CI does not run it.
vuln:
	$(GO) run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./...

clean:
	rm -rf bin
