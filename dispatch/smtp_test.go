package dispatch

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A silent server must not hold the milter past the caller's deadline.
func TestSubmitHonoursContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() // never accepts: connections wait in the backlog, no greeting comes
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = SMTPSubmitter{Addr: l.Addr().String()}.Submit(ctx, "", []string{"a@example.com"}, []byte("x\r\n"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Submit = %v; want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Submit took %v", took)
	}
}

func TestSubmitWithoutRecipients(t *testing.T) {
	if err := (SMTPSubmitter{Addr: deadAddr(t)}).Submit(t.Context(), "", nil, nil); err == nil {
		t.Error("Submit without recipients succeeded")
	}
}
