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

// TestDeliveryFieldsNotTokens: fields written at final delivery or by the
// mail store yield no token, so that a message learnt from a mailbox file
// and the same message checked at the gateway have the same features.
func TestDeliveryFieldsNotTokens(t *testing.T) {
	body := "From: Alice <alice@example.org>\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n"
	stored := "Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.com\r\nX-Spam-Status: No, score=0.1\r\n" +
		"Status: RO\r\nX-Status: A\r\nX-Keywords: $Label1\r\nX-UID: 17\r\n" + body
	gateway := MessageTokens(mimetree.Parse([]byte(body), mimetree.Limits{}))
	mailbox := MessageTokens(mimetree.Parse([]byte(stored), mimetree.Limits{}))
	if !slices.Equal(gateway, mailbox) {
		t.Errorf("mailbox copy has other tokens:\n%q\nwant\n%q", mailbox, gateway)
	}
}
