package relay

import (
	"bytes"
	"testing"
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
