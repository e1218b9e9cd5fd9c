package milter

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/mailgw/mailgw/service"
)

// Listen opens the socket of s. A unix socket left by a previous instance
// is replaced (a live one is refused), and gets s.SocketMode so that the
// MTA's user can connect, and s.SocketUID/SocketGID as owner.
func Listen(s service.Milter) (net.Listener, error) {
	if s.Network != "unix" {
		return net.Listen(s.Network, s.Address)
	}
	if st, err := os.Lstat(s.Address); err == nil && st.Mode().Type() == fs.ModeSocket {
		if c, err := net.Dial("unix", s.Address); err == nil {
			c.Close()
			return nil, fmt.Errorf("milter: %s is in use by another process", s.Address)
		}
		os.Remove(s.Address)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", s.Address)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(s.Address, fs.FileMode(s.SocketMode)); err != nil {
		ln.Close()
		return nil, err
	}
	if s.SocketOwner != "" {
		if err := os.Chown(s.Address, s.SocketUID, s.SocketGID); err != nil {
			ln.Close()
			return nil, err
		}
	}
	return ln, nil
}
