package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/mimetree"
)

// Message10K builds a deterministic message of about 10 KB: a text and an
// HTML alternative plus one base64 attachment, the common shape of office mail.
func Message10K(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: sender%d@example.org\r\nTo: rcpt@example.com\r\nSubject: Report %d\r\n", i, i)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n")
	b.WriteString("--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n")
	text := strings.Repeat("The quarterly figures are attached, see the summary below. ", 30)
	b.WriteString("--a\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n")
	b.WriteString("--a\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>" + text + "</p></body></html>\r\n--a--\r\n")
	data := bytes.Repeat([]byte{0x25, 0x50, 0x44, 0x46, byte(i)}, 900)
	enc := base64.StdEncoding.EncodeToString(data)
	b.WriteString("--m\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--m--\r\n")
	return b.Bytes()
}

func corpus() [][]byte {
	msgs := make([][]byte, 64)
	for i := range msgs {
		msgs[i] = Message10K(i)
	}
	return msgs
}

func setBytes(b *testing.B, msgs [][]byte) {
	b.SetBytes(int64(len(msgs[0])))
	b.ReportAllocs()
}

// BenchmarkPeerGoMessage is the reference: go-message alone reading every
// part of the message, the least any MIME-aware filter has to do.
func BenchmarkPeerGoMessage(b *testing.B) {
	msgs := corpus()
	setBytes(b, msgs)
	for i := 0; i < b.N; i++ {
		walk(b, msgs[i%len(msgs)])
	}
}

func walk(b *testing.B, raw []byte) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Walk(func(_ []int, part *message.Entity, _ error) error {
		if t, _, _ := part.Header.ContentType(); strings.HasPrefix(t, "multipart/") {
			return nil // Walk reads the parts itself
		}
		_, err := io.Copy(io.Discard, part.Body)
		return err
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkParse is mailgw's single parse into the object tree.
func BenchmarkParse(b *testing.B) {
	msgs := corpus()
	setBytes(b, msgs)
	for i := 0; i < b.N; i++ {
		mimetree.Parse(msgs[i%len(msgs)], mimetree.Limits{})
	}
}

func newFilter(b *testing.B) *filter.Filter {
	gw, err := gateway.Load("", config.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return gw.Filter(filter.Options{Spam: fake.Spam{}, Virus: fake.Virus{}, Logger: discardLogger()})
}

// BenchmarkScan is what `mailgw scan` does per message with fake engines:
// parse, split into group copies, check, decide, render the result.
func BenchmarkScan(b *testing.B) {
	msgs := corpus()
	f := newFilter(b)
	setBytes(b, msgs)
	env := &filter.Envelope{From: "a@example.org", Rcpts: []string{"rcpt@example.com"}}
	for i := 0; i < b.N; i++ {
		res := f.Process(context.Background(), env, msgs[i%len(msgs)])
		for _, d := range res.Decisions {
			if _, err := d.Apply(res.Message); err != nil {
				b.Fatal(err)
			}
		}
	}
}
