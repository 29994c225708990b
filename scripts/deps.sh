#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing: the Debian packages below
# and the Go modules of go.mod. `make deps` (and so `make test`) and .ci/run call it. When
# everything is present it is quick and touches no network.
#
#   scripts/deps.sh           check and install
#   scripts/deps.sh --list    print the Debian package list (scripts/deps-check.sh reads it)
set -euo pipefail
cd "$(dirname "$0")/.."

# The one list of Debian packages. scripts/deps-check.sh fails when a test starts a program
# or imports a Python module that no package here provides.
#   protobuf-compiler   protoc: make proto, the Python backend test
#   python3 python3-protobuf   a backend that is not Go (pluginserver's TestPythonBackend)
#   ngircd prosody      real IRC and XMPP servers (internal/testsrv)
#   lua-dbi-sqlite3     Prosody's SQL storage on SQLite, for make bench's mod_mam beside our archive (test/bench/prosody.go)
#   inspircd            an IRCv3 server with message tags (internal/testsrv/inspircd.go)
#   biboumi             the XMPP-IRC gateway the IRC bench compares with (test/bench/biboumi.go)
#   ejabberd            the second reference server of make bench (test/bench/ejabberd.go)
#   python3-slixmpp     an independent XEP-0198 client (test/sm_test.go)
#   python3-aiohttp     slixmpp's xep_0363 uploads with it (test/upload_test.go)
#   go-sendxmpp         a command-line XMPP peer (test/sendxmpp_test.go)
#   profanity tmux      a terminal client's OMEMO set-up, driven in tmux (test/profanity_test.go)
#   postgresql          initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin, for the store tests
#   ca-certificates git make   fetching modules, fmt-check and the Makefile itself
#   gcc libc6-dev       cgo: the race detector, and Dendrite's SQLite driver (mattn/go-sqlite3)
packages=(protobuf-compiler python3 python3-protobuf ngircd inspircd biboumi prosody lua-dbi-sqlite3 ejabberd python3-slixmpp python3-aiohttp go-sendxmpp
	profanity tmux postgresql ca-certificates git make gcc libc6-dev)

if [ "${1:-}" = --list ]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

GO=${GO:-go}

missing_packages() {
	local installed
	# One dpkg-query for all: "name status" for each known package; unknown ones print nothing.
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null |
		awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }' || true)
	for p in "${packages[@]}"; do
		grep -qx "$p" <<<"$installed" || echo "$p"
	done
}

# The packaged daemons (ngircd, prosody, ejabberd, postgresql) must not start on install: the tests start
# their own on loopback ports. invoke-rc.d (sysvinit) and deb-systemd-invoke (systemd) both ask
# /usr/sbin/policy-rc.d, and 101 means "action forbidden". One that is there already is the
# administrator's and stays as it is.
policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d} # overridable only to test this script
policy_added=""
remove_policy() {
	if [ -n "$policy_added" ]; then
		$sudo rm -f "$policy"
		policy_added=""
	fi
}

install_packages() {
	local need=("$@") hint="apt-get install ${*}"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "deps: missing Debian packages: ${need[*]} (not root and no sudo: run as root: $hint)" >&2
			exit 1
		fi
		# sudo -n never waits for a password; at a terminal sudo may ask for one.
		sudo="sudo -n"
		if ! sudo -n true 2>/dev/null; then
			if [ -t 0 ]; then
				sudo="sudo"
			else
				echo "deps: missing Debian packages: ${need[*]} (sudo needs a password: run as root: $hint)" >&2
				exit 1
			fi
		fi
	fi
	echo "deps: installing ${need[*]}"
	if [ ! -e "$policy" ]; then
		trap remove_policy EXIT
		printf '#!/bin/sh\n# scripts/deps.sh: no daemon starts while it installs packages.\nexit 101\n' |
			$sudo tee "$policy" >/dev/null
		$sudo chmod 0755 "$policy"
		policy_added=yes
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! $sudo apt-get update -qq || ! $sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${need[@]}"; then
		echo "deps: could not install: ${need[*]} (try as root: $hint)" >&2
		exit 1
	fi
	remove_policy
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system (no dpkg-query): install the equivalents of: ${packages[*]}" >&2
	exit 1
fi
mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -gt 0 ]; then
	install_packages "${missing[@]}"
	mapfile -t missing < <(missing_packages)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "deps: still missing after apt-get install: ${missing[*]}" >&2
		exit 1
	fi
fi

# Go modules, including those only the tests and go vet use: from the module cache when all
# are there (GOPROXY=off: no network), otherwise downloaded once.
if ! command -v "$GO" >/dev/null 2>&1; then
	echo "deps: no Go toolchain ($GO): install Go (see go.mod for the version) and put it on PATH" >&2
	exit 1
fi
if ! GOPROXY=off "$GO" mod download 2>/dev/null; then
	echo "deps: downloading Go modules"
	"$GO" mod download
fi

# Dendrite, the Matrix homeserver of the Matrix backend tests (internal/testsrv/dendrite.go):
# built once from the Go module proxy with `go install` into the user's cache directory
# (where os.UserCacheDir points), outside the project's module so that its dependencies stay
# out of go.mod. It takes minutes on a cold cache (cgo SQLite); later runs find it and return.
# $SPECTRUM2_DENDRITE names a binary built elsewhere instead.
dendrite_version=v0.13.8 # testsrv.DendriteVersion
if [ -z "${SPECTRUM2_DENDRITE:-}" ]; then
	cache=${XDG_CACHE_HOME:-${HOME:?deps: HOME is not set}/.cache}
	dendrite_dir="$cache/spectrum2/dendrite-$dendrite_version"
	if [ ! -x "$dendrite_dir/dendrite" ]; then
		echo "deps: building dendrite $dendrite_version into $dendrite_dir"
		mkdir -p "$dendrite_dir"
		(cd "$dendrite_dir" && CGO_ENABLED=1 GOBIN="$dendrite_dir" GOFLAGS=-buildvcs=false \
			"$GO" install "github.com/matrix-org/dendrite/cmd/dendrite@$dendrite_version")
	fi
fi
