package clamd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		reply     string
		want      Result
		err       error // errors.Is target; nil: no error
		temporary bool
	}{
		{reply: "stream: OK", want: Result{}},
		{reply: "stream: Win.Test.EICAR_HDB-1 FOUND", want: Result{Infected: true, Signature: "Win.Test.EICAR_HDB-1"}},
		{reply: "stream: Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND",
			want: Result{Infected: true, Signature: "Eicar-Signature(44d88612fea8a8f36de82e1278abb02f:68)"}},
		{reply: "stream: OK FOUND", want: Result{Infected: true, Signature: "OK"}},
		{reply: "INSTREAM size limit exceeded. ERROR", err: ErrSizeLimit},
		{reply: "stream: Can't allocate memory ERROR", temporary: true},
		{reply: "UNKNOWN COMMAND", err: ErrProtocol},
		{reply: "COMMAND UNAVAILABLE", err: ErrProtocol},
		{reply: "", err: ErrProtocol},
		{reply: "stream:OK", err: ErrProtocol},
		{reply: "stream: OK ", err: ErrProtocol},
		{reply: "stream: ok", err: ErrProtocol},
		{reply: "stream:  FOUND", err: ErrProtocol},
		{reply: "stream: FOUND", err: ErrProtocol},
		{reply: "stream: Bad\x1bName FOUND", err: ErrProtocol},
		{reply: "1: stream: OK", err: ErrProtocol}, // IDSESSION form, never asked for
		{reply: "PONG", err: ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.reply, func(t *testing.T) {
			got, err := parseReply(tt.reply)
			if got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			switch {
			case tt.err == nil && !tt.temporary && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			case tt.temporary && (err == nil || !temporary(err)):
				t.Fatalf("error %v, want a temporary one", err)
			}
		})
	}
}

// FuzzParseReply: no reply makes the parser panic, only the exact
// "stream: OK" is clean, and an infected result always names a printable
// signature.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"stream: OK", "stream: Eicar FOUND", "INSTREAM size limit exceeded. ERROR",
		"stream: x ERROR", "UNKNOWN COMMAND", "stream: OK FOUND", "stream: \x00 FOUND"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		res, err := parseReply(reply)
		switch {
		case err != nil && res != (Result{}):
			t.Fatalf("%q: result %+v with error %v", reply, res, err)
		case err == nil && !res.Infected && reply != "stream: OK":
			t.Fatalf("%q: clean", reply)
		case err == nil && res.Infected && !validSignature(res.Signature):
			t.Fatalf("%q: signature %q", reply, res.Signature)
		}
	})
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in string
		want     string
		err      error
	}{
		{"one", "stream: OK\x00", "stream: OK", nil},
		{"trailing bytes ignored", "PONG\x00junk", "PONG", nil},
		{"empty", "", "", errNoReply},
		{"cut short", "stream: O", "", io.ErrUnexpectedEOF},
		{"too long", strings.Repeat("x", maxReply+1), "", ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte a read: the reply end may arrive in any read.
			got, err := readReply(iotest.OneByteReader(strings.NewReader(tt.in)))
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestWriteInstreamFraming(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, chunk := range []int{1, 7, 64, 1000, 4096} {
		var buf bytes.Buffer
		if err := writeInstream(&buf, data, chunk); err != nil {
			t.Fatal(err)
		}
		cmd, got, err := decodeInstream(&buf)
		if err != nil || cmd != "zINSTREAM" || !bytes.Equal(got, data) {
			t.Fatalf("chunk %d: %q, %d bytes, %v", chunk, cmd, len(got), err)
		}
		if buf.Len() != 0 {
			t.Fatalf("chunk %d: %d bytes after the end of stream", chunk, buf.Len())
		}
	}
}

// decodeInstream reads what clamd reads: a NUL-terminated command and,
// for INSTREAM, the chunks up to the zero-length one.
func decodeInstream(r io.Reader) (cmd string, data []byte, err error) {
	var b [1]byte
	var name []byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return string(name), nil, err
		}
		if b[0] == 0 {
			break
		}
		name = append(name, b[0])
	}
	for {
		var size [4]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return string(name), data, err
		}
		n := binary.BigEndian.Uint32(size[:])
		if n == 0 {
			return string(name), data, nil
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return string(name), data, err
		}
		data = append(data, chunk...)
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in, network, addr string
		bad               bool
	}{
		{in: "unix:/run/clamav/clamd.ctl", network: "unix", addr: "/run/clamav/clamd.ctl"},
		{in: "/run/clamav/clamd.ctl", network: "unix", addr: "/run/clamav/clamd.ctl"},
		{in: "tcp:127.0.0.1:3310", network: "tcp", addr: "127.0.0.1:3310"},
		{in: "clamav.example:3310", network: "tcp", addr: "clamav.example:3310"},
		{in: "[::1]:3310", network: "tcp", addr: "[::1]:3310"},
		{in: "unix:", bad: true},
		{in: "localhost", bad: true},
		{in: "tcp:localhost:", bad: true},
	}
	for _, tt := range tests {
		a, err := parseAddr(tt.in)
		if tt.bad != (err != nil) || !tt.bad && (a.network != tt.network || a.addr != tt.addr) {
			t.Errorf("%q: %+v, %v", tt.in, a, err)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	for _, o := range []Options{{}, {Addrs: []string{"x"}}, {Addrs: []string{"/s"}, Sessions: -1},
		{Addrs: []string{"/s"}, ChunkSize: maxChunk + 1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
