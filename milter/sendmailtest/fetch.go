package sendmailtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/internal/peer"
)

// defaultRoot is where scripts/setup-debian.sh --test-deps unpacks
// sendmail-bin, sendmail-base, sendmail-cf and libwrap0 (libwrap0 is
// sendmail's one library that a Postfix machine lacks). MAILGW_SENDMAIL_ROOT
// overrides it.
const defaultRoot = "/var/cache/mailgw-test/sendmail/root"

// unpacked returns the tree the packages are unpacked in. The test setup
// script fills it; a missing tree fails the test with the command to run,
// since CI installs it and a skipped Sendmail test would hide a regression.
func unpacked(t testing.TB) string {
	t.Helper()
	root := os.Getenv("MAILGW_SENDMAIL_ROOT")
	if root == "" {
		root = defaultRoot
	}
	if _, err := os.Stat(filepath.Join(root, "usr/libexec/sendmail/sendmail")); err != nil {
		t.Fatalf("sendmailtest: no unpacked Sendmail under %s: run scripts/setup-debian.sh --test-deps", root)
	}
	return root
}

// command is how the daemon is started. Sendmail sleeps a minute at start
// when the machine's name has no domain and does not resolve to one (as in
// most containers), so it runs in its own UTS namespace named mta.test;
// env makes the loader find the unpacked libraries. Each step execs the
// next, so the daemon keeps the pid and process group peer.Start knows.
func command(t testing.TB, root string) (string, []string) {
	t.Helper()
	unshare := peer.Binary(t, "", "/usr/bin/unshare", "apt-get install util-linux")
	libs, _ := filepath.Glob(filepath.Join(root, "usr/lib/*-linux-gnu"))
	return unshare, []string{"--uts", "sh", "-c", `hostname mta.test && exec "$0" "$@"`,
		"env", "LD_LIBRARY_PATH=" + strings.Join(libs, ":"), filepath.Join(root, "usr/libexec/sendmail/sendmail")}
}
