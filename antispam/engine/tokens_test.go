package engine

import (
	"slices"
	"testing"

	"github.com/mailgw/mailgw/mimetree"
)

func TestMessageTokens(t *testing.T) {
	raw := "Received: from mx.example.net ([192.0.2.7]) by gw.example.com\r\nFrom: Shop <deals@shop.example.org>\r\n" +
		"Message-ID: <1@mail.shop.example.org>\r\nX-Mailer: Bulk Sender 2\r\nSubject: Cheap offer\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" +
		`<p>Buy <a href="http://www.shop.example.org/x">now</a> at <a href="http://192.0.2.9/">here</a></p>`
	got := MessageTokens(mimetree.Parse([]byte(raw), mimetree.Limits{}))
	for _, want := range []string{"h:received", "rcvd:mx.example.net", "rcvd:ip:192.0.2.0", "from:deals", "from:dom:shop.example.org",
		"mid:mail.shop.example.org", "x-mailer:bulk", "ct:text/html", "cs:us-ascii", "url:www.shop.example.org",
		"url:dom:example.org", "url:ip", "s:cheap", "buy"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}
