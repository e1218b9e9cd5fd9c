//go:build !linux

package milter

import "net"

// ackNow does nothing where TCP_QUICKACK does not exist; see the Linux
// version for why it matters there.
func ackNow(net.Conn) {}
