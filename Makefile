# Context Intelligence. `make run` and `make test` do all set-up themselves.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

ROOT := $(CURDIR)
BIN := bin/ctxintel
export CHDB_LIB_PATH ?= $(ROOT)/.deps/lib/libchdb.so
export CTXINTEL_MODEL_DIR ?= $(ROOT)/.deps/models/use-lite
export DATABASE_URL ?= postgres://ctxintel:ctxintel@127.0.0.1:5432/ctxintel?sslmode=disable
export TEST_DATABASE_URL ?= postgres://ctxintel:ctxintel@127.0.0.1:5432/postgres?sslmode=disable

GO_SOURCES := $(shell find . -name '*.go' -not -path './.deps/*') go.mod go.sum $(shell find migrations web -name '*.sql' -o -name '*.yaml' -o -name '*.css' 2>/dev/null)

.PHONY: setup build run test bench fuzz clean help

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' Makefile | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## install what is missing: PostgreSQL 15 + pgvector, libchdb, the embedding model
	@scripts/setup.sh

build: $(BIN) ## build bin/ctxintel

$(BIN): $(GO_SOURCES)
	go build -o $(BIN) ./cmd/ctxintel

run: setup build ## set up, migrate, seed a demo org if empty, serve on :8080
	$(BIN) migrate up
	$(BIN) serve --seed-demo

# Packages whose tests load the embedded ClickHouse (libchdb) run without
# the race detector: libchdb's own threads can hang the race runtime's exit.
CHDB_PKGS := ./warehouse/... ./jobs/... ./ingest ./cmd/... ./analytics/...

test: setup ## set up, then run the whole test suite
	go vet ./...
	go test -count=1 -timeout 20m $(CHDB_PKGS)
	go test -race -count=1 -timeout 20m $$(go list ./... | grep -v -E '/(warehouse|jobs|cmd/ctxintel|analytics)(/|$$)|/ingest$$')

bench: setup build ## run the benchmarks and write BENCHMARKS.md (search at 100k and 1M, analytics at 10M events, correlation quality, topic clustering, webhook ack)
	scripts/tune-postgres.sh
	$(BIN) bench --size all --reuse --out BENCHMARKS.md
	CTXINTEL_WRITE_BENCHMARKS=1 go test ./correlate/ -run TestCorrelationEvaluation -count=1
	CTXINTEL_WRITE_BENCHMARKS=1 go test ./analytics/topics/ -run TestClusterEvaluation -count=1
	go test ./web/ -run '^$$' -bench BenchmarkWebhookAck -benchtime 300x -count=1

fuzz: ## run every fuzz test for 30 s each
	@for pkg in $$(go list ./...); do \
	  for f in $$(go test -list 'Fuzz.*' $$pkg | grep '^Fuzz'); do \
	    go test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime 30s || exit 1; \
	  done; \
	done

clean: ## remove build output (keeps downloaded dependencies in .deps)
	rm -rf bin
