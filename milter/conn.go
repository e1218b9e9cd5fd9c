package milter

import (
	"bufio"
	"io"
	"net"
	"sync"
	"time"

	gomilter "github.com/emersion/go-milter"
)

// conn is one MTA connection. go-milter replaces its Milter value after
// every verdict, which would lose the SMTP client's connect and HELO data
// for the next message of the same SMTP session. Each conn therefore runs
// its own go-milter Server whose factory hands out sessions that share
// this conn's client data.
type conn struct {
	srv  *Server
	nc   net.Conn
	once sync.Once
	done chan struct{} // closed when nc is closed

	mu     sync.Mutex
	busy   bool // a message is between MAIL FROM and its verdict
	client clientData

	// out holds what go-milter wrote since the last read. go-milter sends
	// every packet with a write of its own, so a verdict with ten header
	// changes cost eleven system calls; the MTA reads nothing until the
	// final reply anyway, and the milter never writes without reading
	// next, so flushing before each read (and at close) loses no packet
	// and sends one segment.
	out []byte
	// in buffers reads: each packet is read as its 4-byte length and then
	// its body, two system calls unbuffered, and under the no-reply
	// options the MTA sends many packets at once.
	in *bufio.Reader
	wire
	// spare is the message buffer of the last message, for the next.
	spare []byte
}

// clientData is what one SMTP session tells about its client; it outlives
// the messages of the session.
type clientData struct {
	ip     string
	host   string
	helo   string
	access accessFacts // of the connect and HELO stages
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{srv: s, nc: nc, done: make(chan struct{}), in: bufio.NewReaderSize(nc, inBufferSize)}
}

// serve runs the milter protocol until the MTA or Shutdown ends it.
func (c *conn) serve() {
	defer c.srv.untrack(c)
	gs := &gomilter.Server{
		NewMilter: func() gomilter.Milter { return newSession(c) },
		Actions:   Actions,
		Protocol:  Protocol,
	}
	// Serve returns once the one connection has been handled and closed.
	gs.Serve(&oneConnListener{c: c})
}

// inBufferSize holds a few whole packets: body chunks are at most 64 KB
// (SMFIC_BODY), most other packets a few hundred bytes.
const inBufferSize = 16 << 10

// Read hands go-milter the MTA's packets one at a time (see wire.go).
func (c *conn) Read(p []byte) (int, error) {
	if c.pktOff == len(c.pkt) {
		if err := c.nextPacket(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.pkt[c.pktOff:])
	c.pktOff += n
	return n, nil
}

// waitInput returns once the MTA has sent more, flushing our replies first
// when nothing is buffered: only then does the MTA wait for them. After
// Shutdown a connection ends between messages: the wait for the next MAIL
// FROM sees end of file instead.
func (c *conn) waitInput() error {
	if c.in.Buffered() > 0 {
		return nil
	}
	if len(c.out) == 0 {
		ackNow(c.nc) // the MTA may be waiting for an ACK, not a reply
	}
	if err := c.flush(); err != nil {
		return err
	}
	if c.srv.isClosing() && !c.isBusy() {
		return io.EOF
	}
	for {
		_, err := c.in.Peek(1)
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() || !c.srv.isClosing() {
			return err
		}
		if !c.isBusy() {
			return io.EOF // woken by Shutdown: an orderly end, not an error to log
		}
		// A message began just as Shutdown woke the idle connection: let
		// it finish.
		c.nc.SetReadDeadline(time.Time{})
	}
}

func (c *conn) isBusy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy
}

func (c *conn) setBusy(b bool) {
	c.mu.Lock()
	c.busy = b
	c.mu.Unlock()
}

func (c *conn) setClient(f func(*clientData)) {
	c.mu.Lock()
	f(&c.client)
	c.mu.Unlock()
}

func (c *conn) clientData() clientData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.client
}

// wakeIfIdle ends a read waiting for the next message, so that Shutdown
// does not wait for MTAs that keep idle connections open.
func (c *conn) wakeIfIdle() {
	if !c.isBusy() {
		c.nc.SetReadDeadline(time.Now())
	}
}

// Write queues p for the next flush; only go-milter's session goroutine
// writes and reads.
func (c *conn) Write(p []byte) (int, error) {
	c.out = append(c.out, p...)
	return len(p), nil
}

// maxKeptOut is the most buffer capacity a connection keeps between
// flushes: room for a verdict's header changes, not for a replaced body.
const maxKeptOut = 64 << 10

// flush sends what Write queued.
func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out, c.mark = c.out[:0], 0 // what was answered is gone
	if cap(c.out) > maxKeptOut {
		// A replaced body passed through; an idle connection need
		// not keep a buffer of its size.
		c.out = nil
	}
	return err
}

func (c *conn) LocalAddr() net.Addr                { return c.nc.LocalAddr() }
func (c *conn) RemoteAddr() net.Addr               { return c.nc.RemoteAddr() }
func (c *conn) SetDeadline(t time.Time) error      { return c.nc.SetDeadline(t) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.nc.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

func (c *conn) Close() error {
	c.answered() // a reply the MTA does not read must not go out now either
	ferr := c.flush()
	err := c.nc.Close()
	if err == nil {
		err = ferr
	}
	c.once.Do(func() { close(c.done) })
	return err
}

// oneConnListener hands go-milter's Serve a single connection, then blocks
// until that connection is closed so that Serve returns exactly then.
type oneConnListener struct {
	c    *conn
	used bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	if !l.used {
		l.used = true
		return l.c, nil
	}
	<-l.c.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.nc.LocalAddr() }
