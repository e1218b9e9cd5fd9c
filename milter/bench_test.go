package milter_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter"
)

// BenchmarkMessage is one message through the milter with the core that
// mailgw-milter builds on the embedded default (anti-spam without DNS,
// built-in anti-virus), over loopback from go-milter's client: the
// milter's own cost per message without the MTA's (make bench-milter
// measures the whole). The body is like smtp-source's filler.
func BenchmarkMessage(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"10KB", 10 << 10}, {"100KB", 100 << 10}} {
		b.Run(size.name, func(b *testing.B) {
			gw, err := gateway.Parse("mailgw.conf", []byte("[mailgw.policy]\nSpamUseDNS=false\n"), config.Options{})
			if err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			core, _, err := gw.Core(log, "bench")
			if err != nil {
				b.Fatal(err)
			}
			srv := milter.NewServer(core, milter.Options{Logger: log})
			addr := serve(b, srv, "127.0.0.1:0")
			c := gomilter.NewClientWithOptions("tcp", addr, gomilter.ClientOptions{ActionMask: milter.Actions})
			s, err := c.Session()
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Conn("client.test", gomilter.FamilyInet, 4567, "192.0.2.7"); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Helo("client.test"); err != nil {
				b.Fatal(err)
			}
			var h textproto.Header
			h.Add("From", "<alice@example.org>")
			h.Add("To", "<bob@example.com>")
			h.Add("Subject", "test")
			h.Add("Date", "Mon, 7 Dec 2026 08:00:00 +0000")
			h.Add("Message-Id", "<1@client.test>")
			body := strings.Repeat(strings.Repeat("X", 78)+"\r\n", size.bytes/80)
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Mail("<alice@example.org>", nil); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Rcpt("<bob@example.com>", nil); err != nil {
					b.Fatal(err)
				}
				if _, err := s.Header(h); err != nil {
					b.Fatal(err)
				}
				if _, act, err := s.BodyReadFrom(strings.NewReader(body)); err != nil || act.Code != gomilter.ActContinue {
					b.Fatalf("%+v %v", act, err)
				}
			}
		})
	}
}
