package relay

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// Reply codes of the STARTTLS exchange: 220 greeting and "ready to start
// TLS" (RFC 5321 §4.2, RFC 3207 §4), 250 EHLO.
const (
	codeReady = 220
	codeOK    = 250
)

// openTLS does by hand what go-smtp's client cannot do with a chosen EHLO
// name (its StartTLS is unexported): read the greeting, EHLO, and
// STARTTLS when offered and wanted. It returns the connection for
// smtp.NewClient, which expects a greeting: a stand-in 220 line is put
// in front of the stream, and the client's own EHLO then learns the
// extensions again, as RFC 3207 §4.2 requires after TLS anyway.
func openTLS(nc net.Conn, helo, server string, want bool, timeout time.Duration) (conn net.Conn, upgraded bool, err error) {
	_ = nc.SetDeadline(time.Now().Add(timeout))
	defer nc.SetDeadline(time.Time{})
	br := bufio.NewReader(nc)
	tp := textproto.NewReader(br)
	if _, _, err := tp.ReadResponse(codeReady); err != nil {
		return nil, false, replyErr("greeting", err)
	}
	if _, err := fmt.Fprintf(nc, "EHLO %s\r\n", helo); err != nil {
		return nil, false, err
	}
	_, msg, err := tp.ReadResponse(codeOK)
	if err != nil {
		return nil, false, replyErr("EHLO", err)
	}
	offered := false
	for _, line := range strings.Split(msg, "\n") {
		offered = offered || strings.EqualFold(strings.Fields(line + " x")[0], "STARTTLS")
	}
	if !offered || !want {
		return &prefixConn{Conn: nc, r: io.MultiReader(strings.NewReader("220 "+server+"\r\n"), br)}, false, nil
	}
	if _, err := io.WriteString(nc, "STARTTLS\r\n"); err != nil {
		return nil, false, err
	}
	if _, _, err := tp.ReadResponse(codeReady); err != nil {
		return nil, false, replyErr("STARTTLS", err)
	}
	if br.Buffered() > 0 {
		// Data after the 220 would be injected into the TLS session
		// (the STARTTLS command-injection class of attack).
		return nil, false, fmt.Errorf("STARTTLS: unexpected data after 220")
	}
	host, _, _ := net.SplitHostPort(server)
	// Opportunistic: any certificate is accepted (RFC 3207 §4.1 leaves
	// the decision to the client; without DANE or MTA-STS there is
	// nothing to check it against).
	tc := tls.Client(nc, &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return nil, false, fmt.Errorf("%w: %w", errTLSHandshake, err)
	}
	return &prefixConn{Conn: tc, r: strings.NewReader("220 " + server + "\r\n")}, true, nil
}

// errTLSHandshake: the server offered STARTTLS but the handshake failed;
// the caller tries again without TLS.
var errTLSHandshake = errors.New("STARTTLS handshake failed")

func replyErr(step string, err error) error {
	if pe, ok := err.(*textproto.Error); ok {
		return &peerReply{code: pe.Code, msg: fmt.Sprintf("%s: %d %s", step, pe.Code, pe.Msg)}
	}
	return fmt.Errorf("%s: %w", step, err)
}

// peerReply is a refusal by the server before the go-smtp client runs.
type peerReply struct {
	code int
	msg  string
}

func (e *peerReply) Error() string { return e.msg }

// prefixConn reads r (a stand-in greeting, then the rest) before the
// connection itself.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if c.r != nil {
		n, err := c.r.Read(p)
		if n > 0 || err != io.EOF {
			return n, err
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}
