package milter

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	gomilter "github.com/emersion/go-milter"
)

// Packets and options of milter-protocol.txt that the connection itself
// looks at. Every packet is a 4-byte big-endian length, then a command
// byte and its data.
const (
	lenBytes  = 4
	cmdOptNeg = byte(gomilter.CodeOptNeg) // SMFIC_OPTNEG: version, actions, protocol (3 × 4 bytes)
	cmdHeader = byte(gomilter.CodeHeader) // SMFIC_HEADER
	cmdBody   = byte(gomilter.CodeBody)   // SMFIC_BODY
	cmdAbort  = byte(gomilter.CodeAbort)  // SMFIC_ABORT: end the message, no reply
	// cmdQuitNewConn is SMFIC_QUIT_NC (version 6): the MTA ends the SMTP
	// session but keeps the connection for the next, which starts with
	// SMFIC_CONNECT. go-milter does not know it; to the session it is an
	// abort, which leaves the connection ready for the next message.
	cmdQuitNewConn = 'K'

	// version6 is the protocol version that defines the no-reply options
	// (SMFIP_NR_*); go-milter answers every negotiation with version 2.
	version6 = 6
	// noReply are the options the connection needs the MTA to offer
	// with version 6 before it upgrades: no reply to each header field
	// (SMFIP_NR_HDR) or body chunk (SMFIP_NR_BODY), so the MTA streams the
	// message to its end without waiting, and no SMFIC_UNKNOWN, which
	// go-milter would answer by closing the connection (SMFIP_NOUNKNOWN).
	// The session answers a header field or body chunk with nothing but
	// continue, so no verdict is lost.
	noReply = gomilter.OptNoHeaderReply | gomilter.OptNoBodyReply | gomilter.OptNoUnknown
	// noReplyData is asked for as well when offered: go-milter answers
	// SMFIC_DATA with continue, always.
	noReplyData = gomilter.OptNoDataReply
	// noReplyEnvelope are asked for as well when offered and nothing in
	// the configuration can answer the connect, HELO, MAIL or RCPT stage
	// with anything but continue (Server.judgesEnvelope): then a message
	// costs the MTA one wait, at its end, instead of three or more.
	noReplyEnvelope = gomilter.OptNoConnReply | gomilter.OptNoHeloReply | gomilter.OptNoMailReply | gomilter.OptNoRcptReply

	// maxPacket is go-milter's own limit on a packet.
	maxPacket = 1 << 20
	// maxKeptPacket is the largest packet buffer kept for the next packet:
	// room for a body chunk (at most 64 KB), not for an outsized packet.
	maxKeptPacket = 128 << 10
)

// continuePacket is SMFIR_CONTINUE on the wire: length 1, then 'c'.
const continuePacket = "\x00\x00\x00\x01c"

// wire frames the MTA's packets for go-milter and upgrades the protocol:
// go-milter speaks version 2, where the MTA waits for a reply to every
// header field, a round trip each. When the MTA offers version 6, the
// connection answers the negotiation with version 6 and the no-reply
// options, and removes go-milter's replies to the packets that now take
// none. Only go-milter's session goroutine uses it.
type wire struct {
	pkt    []byte // the packet go-milter is reading, whole
	pktOff int    // how much of pkt go-milter has read
	hdr    [lenBytes]byte
	// last is the command of the packet handed to go-milter last, and
	// mark where its reply starts in conn.out: go-milter has answered a
	// packet completely by the time it asks for the next one.
	last byte
	mark int
	// offer is the MTA's SMFIC_OPTNEG data; quiet are the no-reply
	// options agreed on.
	offer []byte
	quiet gomilter.OptProtocol
}

// nextPacket reads the MTA's next packet into c.pkt, after settling the
// reply to the last one.
func (c *conn) nextPacket() error {
	if err := c.answered(); err != nil {
		return err
	}
	if err := c.waitInput(); err != nil {
		return err
	}
	if err := c.readFull(c.hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(c.hdr[:])
	if n == 0 || n > maxPacket {
		return fmt.Errorf("milter: MTA sent a packet of %d bytes", n)
	}
	size := lenBytes + int(n)
	if cap(c.pkt) < size || cap(c.pkt) > maxKeptPacket && size <= maxKeptPacket {
		c.pkt = make([]byte, size)
	}
	c.pkt, c.pktOff = c.pkt[:size], 0
	copy(c.pkt, c.hdr[:])
	if err := c.readFull(c.pkt[lenBytes:]); err != nil {
		return err
	}
	c.last, c.mark = c.pkt[lenBytes], len(c.out)
	switch c.last {
	case cmdOptNeg:
		c.offer = append(c.offer[:0], c.pkt[lenBytes+1:]...)
	case cmdQuitNewConn:
		c.pkt[lenBytes] = cmdAbort
	}
	return nil
}

// readFull reads len(p) bytes. A Shutdown that wakes the connection in the
// middle of a packet does not cut it short.
func (c *conn) readFull(p []byte) error {
	for len(p) > 0 {
		n, err := c.in.Read(p)
		p = p[n:]
		if ne, ok := err.(net.Error); ok && ne.Timeout() && c.srv.isClosing() {
			c.nc.SetReadDeadline(time.Time{})
			continue
		}
		if err == io.EOF && len(p) > 0 {
			return io.ErrUnexpectedEOF
		}
		if err != nil && len(p) > 0 {
			return err
		}
	}
	return nil
}

// answered looks at go-milter's reply to the last packet, c.out[c.mark:].
// It runs in Close too, after go-milter's own recover: it must not panic,
// whatever state a broken stream left behind.
func (c *conn) answered() error {
	if c.mark > len(c.out) {
		c.last, c.mark = 0, len(c.out)
	}
	reply := c.out[c.mark:]
	var err error
	switch {
	case c.last == cmdOptNeg:
		c.negotiate(reply)
	case c.quiet&replyOption(c.last) != 0:
		if string(reply) != continuePacket {
			// The MTA reads no reply here; sending one would put the
			// two sides out of step. Ending the connection makes the
			// MTA apply its milter_default_action instead.
			err = fmt.Errorf("milter: reply %q to SMFIC %c, which takes none", reply, c.last)
			c.srv.log.Warn("milter connection closed: a verdict at a stage negotiated without replies (access rules added by a reload?)",
				"command", string(rune(c.last)), "reply", string(reply))
		}
		c.out = c.out[:c.mark]
	}
	c.last = 0
	return err
}

// replyOption is the no-reply option (SMFIP_NR_*) for packets with command
// cmd, 0 for a command without one.
func replyOption(cmd byte) gomilter.OptProtocol {
	switch gomilter.Code(cmd) {
	case gomilter.CodeConn:
		return gomilter.OptNoConnReply
	case gomilter.CodeHelo:
		return gomilter.OptNoHeloReply
	case gomilter.CodeMail:
		return gomilter.OptNoMailReply
	case gomilter.CodeRcpt:
		return gomilter.OptNoRcptReply
	case gomilter.CodeData:
		return gomilter.OptNoDataReply
	case gomilter.CodeHeader:
		return gomilter.OptNoHeaderReply
	case gomilter.CodeBody:
		return gomilter.OptNoBodyReply
	}
	return 0
}

// negotiate turns go-milter's version 2 answer to SMFIC_OPTNEG into a
// version 6 one with the no-reply options, when the MTA offered version
// 6 and those options. Otherwise the answer stays as it is.
//
// The envelope stages are settled for the connection's lifetime: should a
// reload add an access rule meanwhile, the session's first denial at such
// a stage ends the connection (see answered), and the MTA applies its
// milter_default_action, a temporary failure by default; the client's
// next session negotiates again.
func (c *conn) negotiate(reply []byte) {
	const (
		version  = lenBytes + 1 // offsets in the reply packet
		protocol = version + 8
	)
	if len(c.offer) < 12 || len(reply) < protocol+4 || reply[lenBytes] != cmdOptNeg {
		return
	}
	mtaVersion := binary.BigEndian.Uint32(c.offer)
	offered := gomilter.OptProtocol(binary.BigEndian.Uint32(c.offer[8:]))
	if mtaVersion < version6 || offered&noReply != noReply {
		return
	}
	c.quiet = noReply | offered&noReplyData
	if !c.srv.judgesEnvelope() {
		c.quiet |= offered & noReplyEnvelope
	}
	binary.BigEndian.PutUint32(reply[version:], version6)
	p := gomilter.OptProtocol(binary.BigEndian.Uint32(reply[protocol:]))
	binary.BigEndian.PutUint32(reply[protocol:], uint32(p|c.quiet))
}
