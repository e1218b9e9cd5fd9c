#!/usr/bin/env bash
# Installs what mailgw needs on a fresh Debian 12 machine, from Debian's
# packages and the Go module proxy only. Safe to run again: it installs only
# what is missing.
#
#   scripts/setup-debian.sh              build dependencies
#   scripts/setup-debian.sh --test-deps  also the real peers the tests run
set -euo pipefail

want_test=0
[ "${1:-}" = "--test-deps" ] && want_test=1

need=()
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v gcc >/dev/null || need+=(gcc)
[ -e /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)

# Go: the go.mod directive names the version; any Go >= 1.21 fetches that
# toolchain itself through the module proxy (GOTOOLCHAIN=auto).
have_go() {
	command -v go >/dev/null || [ -x /usr/local/go/bin/go ]
}
if ! have_go; then
	need+=(golang-go)
fi

# Test peers come with the issues that use them (Postfix, Sendmail, clamd,
# redis-server, pyzord, Chromium); list them here as they arrive.
test_pkgs=()
if [ "$want_test" = 1 ]; then
	for p in "${test_pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
fi

if [ ${#need[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	sudo_cmd=""
	[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq
	$sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	echo "note: Go is in /usr/local/go/bin; add it to PATH" >&2
fi
exit 0
