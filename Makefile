# zhkhgate — the two commands a newcomer needs are `make demo` and `make test`.
GO      ?= go
BIN     := var/bin/zhkhgate
TESTPG  := var/testpg
# Tests stay well under the CI limit; the slowest packages run real PostgreSQL, OpenSSL and Chromium.
TESTTIMEOUT ?= 25m

.PHONY: demo test bench build lint deps deps-test generate clean-pg

## demo: start Postgres, migrate, load the demo center, start simulators, server and workers
demo: deps build
	$(BIN) demo

## build: compile the zhkhgate binary into var/bin
build:
	$(GO) build -o $(BIN) ./cmd/zhkhgate

## test: install what tests need, then vet and run every test against real services
test: deps-test build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./... ; status=$$?; \
	  $(BIN) pg --dir $(TESTPG) stop || true; exit $$status

## bench: run the benchmarks (results are transcribed into docs/BENCHMARKS.md)
bench: deps-test build
	mkdir -p var/bench
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./... | tee var/bench/go-bench.txt ; \
	  $(BIN) pg --dir $(TESTPG) stop || true
	.ci/bench-demo | tee var/bench/demo-load.txt

## lint: go vet, plus staticcheck when installed
lint:
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; else echo "staticcheck not installed; skipped"; fi

## generate: regenerate code from the official schemas
generate:
	$(GO) generate ./...

deps:
	.ci/deps

deps-test:
	.ci/deps test

## clean-pg: stop and delete the embedded clusters (demo data is lost)
clean-pg: build
	-$(BIN) pg --dir var/pg stop
	-$(BIN) pg --dir $(TESTPG) stop
	rm -rf var/pg $(TESTPG)
