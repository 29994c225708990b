# spectrum2: the README's two commands are `make run` and `make test`.
GO      ?= go
BIN     := bin/spectrum2
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/gospectrum/spectrum2/server.Version=$(VERSION)
PKGS    := ./...
PREFIX  ?= /usr/local

.PHONY: all build run deps deps-check test vet fmt-check bench bench-quick proto fuzz lint install clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# The demo network, a self-signed certificate in ./data, clients on localhost:5222.
run: build
	./$(BIN) run --config etc/demo.toml

# Installs the Debian packages and Go modules the tests need, only those missing
# (scripts/deps.sh holds the list); quick and offline when everything is there.
deps:
	@GO='$(GO)' bash scripts/deps.sh

# Fails when a test starts a program or imports a Python module that the list misses.
deps-check:
	@bash scripts/deps-check.sh

# The end-to-end package (./test) takes some 10 minutes on 2 quiet cores and more on a
# loaded CI host: its test binary gets 40 minutes before it is stopped as hung.
test: deps deps-check fmt-check vet
	$(GO) test -race -timeout 40m $(PKGS)
	cd third_party/girc && $(GO) test -race -timeout 5m ./...

# The tracked files in a git checkout; every .go file in a tree without .git (a tarball).
# gofmt never reads stdin here: with no file it would wait for one.
fmt-check:
	@if [ -e .git ]; then files=$$(git ls-files '*.go'); \
	else files=$$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*'); fi; \
	files=$$(printf '%s\n' $$files | grep -v '\.pb\.go$$'); \
	if [ -z "$$files" ]; then echo "fmt-check: no Go files found"; exit 1; fi; \
	out=$$(gofmt -l $$files </dev/null) || exit 1; \
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

# The configuration may hold admin_password: it is readable by root and the service's group
# only (Group= of etc/spectrum2.service), and an existing one is never overwritten.
SERVICE_GROUP := $(shell sed -n 's/^Group=//p' etc/spectrum2.service)
CONF          := $(DESTDIR)/etc/spectrum2/spectrum2.toml

install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/spectrum2
	install -D -m 0644 etc/spectrum2.service $(DESTDIR)/lib/systemd/system/spectrum2.service
	@dst='$(CONF)'; grp='$(SERVICE_GROUP)'; \
	if [ -e "$$dst" ]; then dst="$$dst.dist"; \
		echo "$(CONF) exists and is kept; the new reference configuration is $$dst"; fi; \
	if getent group "$$grp" >/dev/null 2>&1; then \
		install -D -m 0640 -g "$$grp" etc/spectrum2.toml "$$dst"; \
	else \
		install -D -m 0640 etc/spectrum2.toml "$$dst"; \
		echo "group $$grp does not exist: $$dst is readable by root only;" \
			"create the user (see etc/spectrum2.service), then: chgrp $$grp $$dst"; \
	fi

clean:
	rm -rf bin
