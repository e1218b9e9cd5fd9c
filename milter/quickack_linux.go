package milter

import (
	"net"
	"syscall"
)

// ackNow makes the kernel send the ACK it holds back for what the MTA
// sent last (TCP_QUICKACK, tcp(7)). It matters when the milter reads a
// packet it does not answer (a macro packet, or a header field under
// SMFIP_NR_HDR) and then waits: an MTA whose socket runs Nagle's algorithm
// (RFC 896), as Sendmail's and Postfix's milter sockets do, holds its
// next small packet until that ACK arrives, and a delayed ACK (RFC 1122
// 4.2.3.2) comes only some 40 ms later. Replies carry the ACK with them,
// so this is needed only when there is none to send.
func ackNow(nc net.Conn) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return // Unix sockets have neither Nagle's algorithm nor delayed ACKs
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		// An error leaves the ACK delayed: slower, never wrong.
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
