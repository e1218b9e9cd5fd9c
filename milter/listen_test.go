package milter

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/mailgw/mailgw/service"
)

func TestListenUnix(t *testing.T) {
	path := t.TempDir() + "/m.sock"
	s := service.Milter{Network: "unix", Address: path, SocketMode: 0o640, SocketOwner: "1:2", SocketUID: 1, SocketGID: 2}
	ln, err := Listen(s)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("socket mode %v, %v; want 0640", st.Mode(), err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Uid != 1 || sys.Gid != 2 {
		t.Errorf("socket owner %+v, want 1:2", st.Sys())
	}
	if _, err := Listen(s); err == nil {
		t.Error("a second Listen on a live socket succeeded")
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // leaves a stale socket file, as a crashed daemon does
	ln, err = Listen(s)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()
}
