package notify

import (
	"bytes"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	goldenfile "github.com/mailgw/mailgw/internal/golden"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	noticeTime  = time.Date(2024, 3, 5, 14, 8, 0, 0, time.UTC)
	arrivalTime = time.Date(2024, 3, 5, 14, 7, 9, 0, time.FixedZone("", 3600))
)

// testBuilder returns a Builder with a fixed clock and numbered IDs.
func testBuilder(t *testing.T) Builder {
	t.Helper()
	ts, err := Load(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return Builder{Templates: ts, From: "Mail Gateway <mailgw@example.com>", Hostname: "mx.example.com",
		Postmaster: "postmaster@example.com",
		Now:        func() time.Time { return noticeTime },
		NewID:      func() string { n++; return fmt.Sprintf("notice%d", n) }}
}

// header builds a message header from name, value pairs.
func header(kv ...string) message.Header {
	var h textproto.Header
	for i := len(kv) - 2; i >= 0; i -= 2 { // go-message writes last-added first
		h.Add(kv[i], kv[i+1])
	}
	return message.Header{Header: h}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
}

// checkCRLF fails on a bare LF or CR: SMTP data ends lines with CRLF.
func checkCRLF(t *testing.T, name string, data []byte) {
	t.Helper()
	if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) ||
		bytes.Count(data, []byte("\r")) != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("%s: line ends other than CRLF", name)
	}
}
