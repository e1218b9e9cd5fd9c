package bench

import (
	"bytes"
	"context"
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
