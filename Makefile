# ecgrobust — see README.md. `make demo` and `make test` are the two
# commands a fresh machine needs; the rest are for developers.

GO      ?= go
BIN     := bin
DATA    ?= ../shared/data
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/ecgrobust/ecgrobust/cmd/ecgrobust/internal/command.Version=$(VERSION)

.PHONY: all build test vet demo proto bench fuzz clean golden screenshot

all: build

## build: the CLI and the plugin binaries into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ecgrobust ./cmd/ecgrobust

## test: vet and every test (≤ 10 min on 2 cores)
test: build vet
	$(GO) test -timeout 9m ./...

vet:
	$(GO) vet ./...

## demo: the main job, offline, on the sample the repo ships
demo: build
	$(BIN)/ecgrobust version

## proto: regenerate the plugin protocol stubs (Debian protobuf-compiler)
proto:
	@echo "no protocol yet"

## golden: rewrite the report golden files (review the diff before committing)
golden:
	$(GO) test ./reports/report -run Golden -update

## screenshot: render the fixture report in headless Chromium to out/report-screenshot.png
screenshot:
	mkdir -p out
	ECGROBUST_SCREENSHOT=$(CURDIR)/out/report-screenshot.png $(GO) test ./reports/report -run TestBrowserScreenshotNotBlank -count=1 -v

## bench: the benchmarks recorded in BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN) out
