package milter_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/milter/postfixtest"
)

// gate is a Processor that tells the test a message reached the filter and
// then never returns until released, as a milter that hangs or dies there.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Process(context.Context, *filter.Envelope, []byte) *filter.Result {
	g.entered <- struct{}{}
	<-g.release
	return &filter.Result{}
}

// killableListener remembers its connections so the test can cut them all
// at once, as the kernel does when the milter process is killed.
type killableListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *killableListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *killableListener) kill() {
	l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// When the milter dies in the middle of a message, Postfix applies
// milter_default_action (tempfail here, as contrib/postfix recommends):
// the client keeps the message, and its retry after the milter is back
// is delivered, filtered, exactly once.
func TestMilterKilledMidMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Postfix")
	}
	sink := postfixtest.StartSink(t)
	addr := peer.FreePort(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	kl := &killableListener{Listener: ln}
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	defer close(g.release)
	dying := milter.NewServer(g, milter.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	go dying.Serve(kl)
	pf := postfixtest.Start(t, postfixtest.Options{Milter: "inet:" + addr, RelayHost: sink.Addr,
		Main: []string{"milter_default_action = tempfail"}})
	defer func() {
		if t.Failed() {
			t.Logf("Postfix log:\n%s", pf.Log())
		}
	}()

	msg := postfixMsg("bob@example.com", "killed", "just data")
	sent := make(chan error, 1)
	go func() { sent <- smtpSend(t, pf.SMTPAddr, []string{"bob@example.com"}, msg) }()
	select {
	case <-g.entered:
	case err := <-sent:
		t.Fatalf("message ended before reaching the milter: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the message never reached the milter")
	}
	kl.kill()
	err = <-sent
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 4 {
		t.Fatalf("with the milter gone the client got %v, want a 4xx", err)
	}
	sink.None(t, time.Second)

	// The milter is back on the same socket; the client retries.
	startRealMilterOn(t, addr)
	mustSend(t, pf.SMTPAddr, "bob@example.com", msg)
	got := sink.Next(t, 30*time.Second)
	if !bytes.Contains(got.Data, []byte("X-SpamTest-Status")) || !bytes.Contains(got.Data, []byte("Subject: killed")) {
		t.Errorf("retried message was not filtered:\n%s", got.Data)
	}
	sink.None(t, 2*time.Second)
}

// startRealMilterOn serves the pipeline with fake engines on addr.
func startRealMilterOn(t *testing.T, addr string) {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(postfixConf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := milter.NewServer(gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: quiet}), milter.Options{Logger: quiet})
	serve(t, srv, addr)
}
