package relay

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCheckLineEnds(t *testing.T) {
	for in, ok := range map[string]bool{
		"":                           true,
		"a\r\nb\r\n":                 true,
		"a\nb\r\n":                   false,
		"a\r\n.\n":                   false,
		"a\rb\r\n":                   false,
		"a\r\n\r":                    false,
		"Subject: x\r\n\r\nbody\r\n": true,
	} {
		if err := checkLineEnds([]byte(in)); (err == nil) != ok {
			t.Errorf("checkLineEnds(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestCountReceived(t *testing.T) {
	raw := "Received: a\r\n\tfolded\r\nreceived: b\r\nSubject: x\r\n\r\nReceived: in the body\r\n"
	if n := countReceived([]byte(raw)); n != 2 {
		t.Errorf("countReceived = %d, want 2", n)
	}
}

// FuzzCheckLineEnds: checkLineEnds accepts exactly the data in which
// every CR and LF belongs to a CRLF pair, and countReceived never fails.
func FuzzCheckLineEnds(f *testing.F) {
	f.Add([]byte("Received: x\r\nSubject: a\r\n\r\nb\r\n"))
	f.Add([]byte("a\n.\nb"))
	f.Add([]byte("\r\r\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkLineEnds(b)
		stripped := bytes.ReplaceAll(b, []byte("\r\n"), nil)
		clean := !bytes.ContainsAny(stripped, "\r\n")
		if (err == nil) != clean {
			t.Errorf("checkLineEnds(%q) = %v, clean=%v", b, err, clean)
		}
		if n := countReceived(b); n < 0 || n > len(b) {
			t.Errorf("countReceived(%q) = %d", b, n)
		}
	})
}

// BenchmarkCheckLineEnds is a 100 KB message of 76-character lines, the
// check every received message gets.
func BenchmarkCheckLineEnds(b *testing.B) {
	msg := bytes.Repeat([]byte(strings.Repeat("x", 76)+"\r\n"), 100<<10/78)
	for _, bc := range []struct {
		name  string
		check func([]byte) error
	}{{"checkLineEnds", checkLineEnds}, {"byteLoop", firstBareLineEnd}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := bc.check(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestReadData: whatever SIZE the client declared, the message is read
// whole, and a reading error is passed on.
func TestReadData(t *testing.T) {
	msg := strings.Repeat("line of data\r\n", 1000)
	for _, tc := range []struct{ declared, limit int64 }{
		{0, 1 << 20}, {100, 1 << 20}, {int64(len(msg)), 1 << 20}, {1 << 30, 1 << 20}, {1 << 30, 10},
	} {
		got, err := readData(strings.NewReader(msg), tc.declared, tc.limit)
		if err != nil || string(got) != msg {
			t.Errorf("declared %d, limit %d: %d bytes, %v", tc.declared, tc.limit, len(got), err)
		}
	}
	if _, err := readData(io.MultiReader(strings.NewReader("x"), iotest.ErrReader(io.ErrUnexpectedEOF)), 0, 100); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading error: %v", err)
	}
}
