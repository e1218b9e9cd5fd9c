package clamd_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av/clamd"
)

// TestFakeClamd covers replies a real clamd gives rarely or never, with a
// fake that reads the stream as clamd does and answers as told.
func TestFakeClamd(t *testing.T) {
	big := bytes.Repeat([]byte("z"), 32<<20) // more than socket buffers hold
	small := []byte("small object")
	tests := []struct {
		name      string
		data      []byte
		serve     func(net.Conn)
		want      clamd.Result
		err       error // errors.Is target; nil: no error
		temporary bool
	}{
		{name: "framing checked", data: small, serve: answerAfterStream(small, "stream: OK\x00")},
		{name: "found", data: small, serve: answerAfterStream(small, "stream: Fake.Sig FOUND\x00"),
			want: clamd.Result{Infected: true, Signature: "Fake.Sig"}},
		{name: "early size limit and close", data: big, serve: answerEarly("INSTREAM size limit exceeded. ERROR\x00"),
			err: clamd.ErrSizeLimit},
		{name: "early OK is not clean", data: big, serve: answerEarly("stream: OK\x00"), err: clamd.ErrProtocol},
		{name: "garbage", data: small, serve: answerAfterStream(small, "HELLO\x00"), err: clamd.ErrProtocol},
		{name: "newline mode reply", data: small, serve: answerAfterStream(small, "stream: OK\n"),
			err: clamd.ErrUnavailable, temporary: true},
		{name: "endless reply", data: small, serve: answerAfterStream(small, string(bytes.Repeat([]byte("x"), 10000))),
			err: clamd.ErrProtocol},
		{name: "clamd error", data: small, serve: answerAfterStream(small, "stream: Can't allocate memory ERROR\x00"),
			temporary: true},
		{name: "hang up", data: small, serve: func(net.Conn) {}, err: clamd.ErrUnavailable, temporary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, clamd.Options{Addrs: []string{listen(t, tt.serve)}, Timeout: 10 * time.Second})
			got, err := c.Scan(context.Background(), tt.name, tt.data)
			if got != tt.want {
				t.Fatalf("result %+v, want %+v (error %v)", got, tt.want, err)
			}
			wantErr := tt.err != nil || tt.temporary
			switch {
			case wantErr != (err != nil):
				t.Fatalf("error %v", err)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			case wantErr && clamd.Temporary(err) != tt.temporary:
				t.Fatalf("error %v: temporary %t", err, clamd.Temporary(err))
			}
			var ce *clamd.Error
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("error %T, want *clamd.Error", err)
			}
		})
	}
}

// answerAfterStream reads a whole INSTREAM, checks it carried want, and
// sends reply.
func answerAfterStream(want []byte, reply string) func(net.Conn) {
	return func(conn net.Conn) {
		cmd, data, err := clamd.DecodeInstream(conn)
		if err != nil || cmd != "zINSTREAM" || !bytes.Equal(data, want) {
			io.WriteString(conn, "test: stream garbled ERROR\x00")
			return
		}
		io.WriteString(conn, reply)
	}
}

// answerEarly reads a few bytes of the stream, replies and closes, as
// clamd does when StreamMaxLength is exceeded.
func answerEarly(reply string) func(net.Conn) {
	return func(conn net.Conn) {
		io.ReadFull(conn, make([]byte, 100))
		io.WriteString(conn, reply)
	}
}
