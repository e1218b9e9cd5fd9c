package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
)

// BenchmarkCore is the core that mailgw-milter and mailgw-relay build on
// the default policy with both real engines (anti-spam without DNS, the
// built-in anti-virus), on one message like smtp-source's: what a message
// costs before any front-end protocol.
func BenchmarkCore(b *testing.B) {
	gw, err := gateway.Parse("m.conf", []byte("[mailgw.policy]\nCheckSpam=true\nCheckAV=true\nSpamUseDNS=false\n"), config.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f, _, err := gw.Core(slog.New(slog.NewTextHandler(io.Discard, nil)), "t")
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{10 << 10, 100 << 10} {
		msg := []byte("From: <alice@example.org>\r\nTo: <bob@example.com>\r\nDate: Mon, 7 Dec 2026 08:00:00 +0000\r\nMessage-Id: <1@client.test>\r\nSubject: test\r\n\r\n" + strings.Repeat(strings.Repeat("X", 78)+"\r\n", size/80))
		env := &filter.Envelope{From: "alice@example.org", Rcpts: []string{"bob@example.com"}}
		b.Run(strconv.Itoa(size>>10)+"KB", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res := f.Process(context.Background(), env, msg)
				for _, d := range res.Decisions {
					d.Apply(res.Message)
				}
			}
		})
	}
}
