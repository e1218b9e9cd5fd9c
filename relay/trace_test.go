package relay_test

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/internal/peer"
	"github.com/mailgw/mailgw/relay"
)

// TestReceivedHeader: the delivered message starts with this relay's
// Received field (RFC 5321 §4.4) naming the client's HELO and address,
// the relay's Hostname, ESMTP, and the queue id the verdict's log line
// carries, so that a message can be followed from the header to the log.
func TestReceivedHeader(t *testing.T) {
	var logs peer.SyncBuffer
	r := start(t, setup{opts: relay.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	sendOne(t, r.addr, []string{"bob@example.com"}, "Subject: trace\r\n\r\nx\r\n", "250 ")
	m := r.sink.Next(t, 10*time.Second)
	qid := regexp.MustCompile(`msg="relay verdict" queue_id=(\S+)`).FindStringSubmatch(logs.String())
	if qid == nil {
		t.Fatalf("no verdict with a queue id in the log:\n%s", logs.String())
	}
	hdr := string(m.Data[:bytes.Index(m.Data, []byte("\r\nSubject: trace"))])
	want := regexp.MustCompile(`^Received: from client\.test \(\S*\[127\.0\.0\.1\]\)\r\n\tby relay\.test \(mailgw\) with ESMTP id ` +
		regexp.QuoteMeta(qid[1]) + `\r\n\tfor <bob@example\.com>;\r\n\t[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$`)
	if !want.MatchString(hdr) {
		t.Errorf("header before Subject:\n%s\nwant a Received field matching %s", hdr, want)
	}
	if strings.Count(hdr, "Received:") != 1 {
		t.Errorf("%d Received fields, want 1", strings.Count(hdr, "Received:"))
	}
}
