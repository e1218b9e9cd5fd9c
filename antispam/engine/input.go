package engine

import (
	"mime"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/charset"

	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
)

// input is what the checks read, decoded once per check run.
type input struct {
	env     *filter.Envelope
	msg     *mimetree.Message
	subject string // decoded (RFC 2047)
	from    header // the From field
	to      []header
	cc      []header
	text    *content // filled by checkContent
}

// header is one address field: its raw value and the addresses found in
// it. Addresses that net/mail cannot parse are kept raw in addrs, so a
// malformed From is still checked.
type header struct {
	present bool
	raw     string
	names   []string // display names, decoded
	addrs   []string
}

func newInput(env *filter.Envelope, msg *mimetree.Message) *input {
	in := &input{env: env, msg: msg}
	in.subject = mimetree.DecodeWords(msg.Header.Get("Subject"))
	in.from = addressField(msg, "From")
	for _, k := range []string{"To"} {
		if h := addressField(msg, k); h.present {
			in.to = append(in.to, h)
		}
	}
	if h := addressField(msg, "Cc"); h.present {
		in.cc = append(in.cc, h)
	}
	return in
}

func addressField(msg *mimetree.Message, key string) header {
	if !msg.Header.Has(key) {
		return header{}
	}
	h := header{present: true, raw: msg.Header.Get(key)}
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}}
	list, err := parser.ParseList(h.raw)
	if err != nil {
		// Keep what looks like addresses, so that a broken field is still
		// looked at: spam often has one.
		for _, part := range strings.Split(h.raw, ",") {
			part = strings.TrimSpace(part)
			if i, j := strings.LastIndexByte(part, '<'), strings.LastIndexByte(part, '>'); i >= 0 && j > i {
				h.names = append(h.names, mimetree.DecodeWords(strings.TrimSpace(part[:i])))
				part = part[i+1 : j]
			}
			if part != "" {
				h.addrs = append(h.addrs, part)
			}
		}
		return h
	}
	for _, a := range list {
		h.addrs = append(h.addrs, a.Address)
		h.names = append(h.names, a.Name)
	}
	return h
}

// domainOf returns the lower-cased domain of an address, "" when none.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}
