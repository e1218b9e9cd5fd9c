package relay

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// tooBusy is written to a connection over IncomingSessions or
// MaximalIncomingSessionsPerIP before closing it: RFC 5321 §3.8 lets a
// server that cannot serve answer 421 in place of the greeting, and
// RFC 3463 4.7.0 is "other or undefined security status"... the closest
// for a per-client limit is 4.7.0 as Postfix uses it.
const tooBusy = "421 4.7.0 Too many connections, try again later\r\n"

// limitListener enforces the session limits at accept time, before
// go-smtp greets, and wraps each connection in a timedConn.
type limitListener struct {
	net.Listener
	srv *Server

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int
}

func newLimitListener(ln net.Listener, srv *Server) *limitListener {
	return &limitListener{Listener: ln, srv: srv, perIP: map[netip.Addr]int{}}
}

// Accept returns the next connection within the limits; connections over
// them get tooBusy and are closed here.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(nc)
		lim := l.srv.rt.load().Service.Limits
		l.mu.Lock()
		ok := l.total < lim.IncomingSessions && l.perIP[ip] < lim.MaximalIncomingSessionsPerIP
		if ok {
			l.total++
			l.perIP[ip]++
		}
		l.mu.Unlock()
		if !ok {
			l.srv.log.Warn("connection refused: session limit", "client_ip", ip.String())
			_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
			_, _ = nc.Write([]byte(tooBusy))
			nc.Close()
			continue
		}
		return newTimedConn(nc, l.srv, func() { l.release(ip) }), nil
	}
}

func (l *limitListener) release(ip netip.Addr) {
	l.mu.Lock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
	l.mu.Unlock()
}

func remoteIP(nc net.Conn) netip.Addr {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// phase is where an SMTP session is, for the Receiving* timeouts.
type phase int

const (
	phaseCommand  phase = iota // waiting for HELO, MAIL, the first RCPT, QUIT
	phaseRcpt                  // after a RCPT: more RCPTs or DATA
	phaseData                  // inside DATA, until CRLF.CRLF
	phaseFinished              // the core works; the client waits for us
)

// timedConn applies the Receiving* timeouts, which go-smtp cannot (it has
// one ReadTimeout): each Read gets the deadline of the current phase,
// bounded by ReadTimeout; phaseData's deadline runs from the DATA command,
// as ReceivingDataTerminationTimeout bounds the whole transfer. go-smtp's
// own deadlines are ignored: its ReadTimeout is left zero.
type timedConn struct {
	net.Conn
	srv     *Server
	release func()
	once    sync.Once

	mu       sync.Mutex
	phase    phase
	dataEnds time.Time

	// Counted for the per-session limits by the session's own goroutine;
	// they outlive the go-smtp session that STARTTLS replaces.
	messages int
	bytes    int64
}

func newTimedConn(nc net.Conn, srv *Server, release func()) *timedConn {
	return &timedConn{Conn: nc, srv: srv, release: release}
}

func (c *timedConn) setPhase(p phase) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase = p
	if p == phaseData {
		c.dataEnds = time.Now().Add(c.srv.rt.load().Service.Timeouts.ReceivingDataTerminationTimeout)
	}
}

func (c *timedConn) deadline() time.Time {
	t := c.srv.rt.load().Service.Timeouts
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	d := now.Add(t.ReceivingCommandTimeout)
	switch c.phase {
	case phaseRcpt:
		d = now.Add(t.ReceivingDataInitiationTimeout)
	case phaseData:
		d = c.dataEnds
	}
	if r := now.Add(t.ReadTimeout); r.Before(d) {
		d = r
	}
	return d
}

func (c *timedConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.deadline()); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// SetReadDeadline is go-smtp's; Read sets the real one.
func (c *timedConn) SetReadDeadline(time.Time) error { return nil }

func (c *timedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
