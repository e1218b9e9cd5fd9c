package milter_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/milter"
)

// serve runs srv on addr ("127.0.0.1:0" for a free port) until the test
// ends, and returns the address it listens on.
func serve(tb testing.TB, srv *milter.Server, addr string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	go srv.Serve(ln)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	return ln.Addr().String()
}

// applied records, for each message the milter filters, the bytes
// Decision.Apply makes of its single Decision: what mailgw-relay would
// deliver for the same input. Computed at once, since the milter reuses
// the message buffer for the connection's next message.
type applied struct {
	milter.Processor
	mu   sync.Mutex
	want []byte
}

func (a *applied) Process(ctx context.Context, env *filter.Envelope, raw []byte) *filter.Result {
	res := a.Processor.Process(ctx, env, raw)
	var want []byte
	if len(res.Decisions) == 1 {
		want, _ = res.Decisions[0].Apply(res.Message)
	}
	a.mu.Lock()
	a.want = want
	a.mu.Unlock()
	return res
}

// check fails unless got, a copy the MTA delivered after the milter's
// actions, is byte for byte what Decision.Apply made of the last message,
// apart from the fields the MTA puts on top without showing them to
// milters: its own Received, and Sendmail's Date and Message-Id for a
// message that had none.
func (a *applied) check(t *testing.T, got []byte) {
	t.Helper()
	a.mu.Lock()
	want := a.want
	a.mu.Unlock()
	if want == nil {
		t.Fatal("no single-Decision message was filtered")
	}
	for mtaField(got) && !bytes.HasPrefix(want, firstField(got)) {
		got = got[len(firstField(got)):]
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the MTA's copy after the milter's actions differs from Decision.Apply:\n%q\n---\n%q", got, want)
	}
}

func mtaField(msg []byte) bool {
	name, _, _ := bytes.Cut(msg, []byte(":"))
	switch strings.ToLower(string(name)) {
	case "received", "date", "message-id":
		return true
	}
	return false
}

// firstField is the first header field of msg with its line ending(s).
func firstField(msg []byte) []byte {
	end := 0
	for {
		i := bytes.IndexByte(msg[end:], '\n')
		if i < 0 {
			return msg
		}
		end += i + 1
		if end == len(msg) || (msg[end] != ' ' && msg[end] != '\t') {
			return msg[:end]
		}
	}
}
