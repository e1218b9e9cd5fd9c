package mimetree

import "testing"

func TestRawBody(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nbody\r\n--b--\r\n"
	m := Parse([]byte(raw), Limits{})
	for _, c := range []struct {
		path, body string
	}{
		{"", raw[len("Content-Type: multipart/mixed; boundary=b\r\n\r\n"):]},
		{"1", "QUJD"},
		{"2", "Subject: x\r\n\r\nbody"},
		{"2.0", "body"},
	} {
		o := objectAt(t, m, c.path)
		if got := string(o.RawBody()); got != c.body {
			t.Errorf("RawBody(%q) = %q, want %q", c.path, got, c.body)
		}
	}
	if got := string(objectAt(t, m, "1").Content); got != "ABC" {
		t.Errorf("Content = %q: RawBody must not be the decoded body", got)
	}
}

func objectAt(t *testing.T, m *Message, path string) *Object {
	t.Helper()
	for _, o := range m.Objects {
		if o.Path == path {
			return o
		}
	}
	t.Fatalf("no object %q", path)
	return nil
}
