# spectrum2: the README's two commands are `make run` and `make test`.
GO      ?= go
BIN     := bin/spectrum2
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/gospectrum/spectrum2/server.Version=$(VERSION)
PKGS    := ./...
PREFIX  ?= /usr/local

.PHONY: all build run test vet fmt-check bench bench-quick proto fuzz lint install clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The demo network, a self-signed certificate in ./data, clients on localhost:5222.
run: build
	./$(BIN) run --config etc/demo.toml

test: fmt-check vet
	$(GO) test -race -timeout 20m $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

lint: fmt-check vet

bench: build
	$(GO) run ./test/bench/cmd/benchrun --full

bench-quick: build
	$(GO) run ./test/bench/cmd/benchrun --quick

# Regenerate the protobuf code and fail if the committed code differs.
proto:
	@tmp=$$(mktemp -d); \
	protoc --plugin=protoc-gen-go="$$($(GO) tool -n protoc-gen-go)" --go_out=$$tmp \
		--go_opt=module=github.com/gospectrum/spectrum2 -I protocol protocol/pbnetwork.proto && \
	if ! diff -u protocol/pbnetwork/pbnetwork.pb.go $$tmp/protocol/pbnetwork/pbnetwork.pb.go; then \
		cp $$tmp/protocol/pbnetwork/pbnetwork.pb.go protocol/pbnetwork/pbnetwork.pb.go; \
		rm -rf $$tmp; echo "protocol/pbnetwork/pbnetwork.pb.go was stale: regenerated, commit it"; exit 1; \
	fi; rm -rf $$tmp

# Run every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run XXX -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/spectrum2
	install -D -m 0644 etc/spectrum2.toml $(DESTDIR)/etc/spectrum2/spectrum2.toml
	install -D -m 0644 etc/spectrum2.service $(DESTDIR)/lib/systemd/system/spectrum2.service

clean:
	rm -rf bin
