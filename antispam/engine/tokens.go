package engine

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailgw/mailgw/mimetree"
)

// Bounds of the header features: a spam with a thousand Received lines or
// recipients must not cost more than an ordinary message.
const (
	maxReceived     = 8
	maxHeaderTokens = 400
)

// hostRE finds host names and IPv4 addresses in Received and Message-ID
// fields.
var (
	hostRE = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}\b`)
	ipv4RE = regexp.MustCompile(`\b[0-9]{1,3}(?:\.[0-9]{1,3}){3}\b`)
)

// tokenSet collects the distinct features of one message in order.
type tokenSet struct {
	seen map[string]bool
	out  []string
	key  []byte // words builds each key here, so that a repeated word costs no allocation
}

func newTokenSet() *tokenSet { return &tokenSet{seen: map[string]bool{}} }

func (t *tokenSet) add(tok string) {
	if len(t.out) >= maxTokens || t.seen[tok] {
		return
	}
	t.seen[tok] = true
	t.out = append(t.out, tok)
}

// full reports whether no more tokens are taken.
func (t *tokenSet) full() bool { return len(t.out) >= maxTokens }

// Word lengths, in characters, that make tokens.
const (
	minWordLen = 2
	maxWordLen = 24
)

// words adds the lower-cased words of 2 to 24 letters or digits of s
// (see eachWord); only a word not seen before allocates.
func (t *tokenSet) words(prefix, s string) {
	eachWord(s, func(w string) bool {
		t.key = appendLower(append(t.key[:0], prefix...), w)
		t.addKey()
		return !t.full()
	})
}

// addKey adds the token built in t.key.
func (t *tokenSet) addKey() {
	if !t.seen[string(t.key)] { // no allocation for the lookup
		t.add(string(t.key))
	}
}

// eachWord calls f with each word of s — a run of 2 to 24 letters,
// digits, dollar signs or apostrophes (isTokenByte) — until f returns
// false. It is the hot loop of the engine on large messages, hence one
// pass over s with an ASCII fast path.
func eachWord(s string, f func(w string) bool) {
	for i := 0; i < len(s); {
		start, n := i, 0 // the word's first byte and its length in runes
		for i < len(s) {
			j := i
			for j < len(s) && tokenBytes[s[j]] {
				j++
			}
			n, i = n+j-i, j
			if i == len(s) || s[i] < utf8.RuneSelf {
				break
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				break
			}
			i += size
			n++
		}
		switch {
		case n == 0: // a separator
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		case n >= minWordLen && n <= maxWordLen:
			if !f(s[start:i]) {
				return
			}
		}
	}
}

// appendLower appends w lower-cased to b.
func appendLower(b []byte, w string) []byte {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return append(b[:len(b)-i], strings.ToLower(w)...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// tokenBytes holds isTokenByte for every byte: the table eachWord's
// inner loop reads.
var tokenBytes = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = isTokenByte(byte(c))
	}
	return t
}()

// isTokenByte: ASCII letters, digits, the dollar sign and the apostrophe
// make words ("don't", "$100"), as do all Unicode letters and digits.
func isTokenByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '$' || c == '\''
}

// Tokens splits a Subject and a text into the word features the Bayesian
// classifier counts: lower-cased words of 2 to 24 letters or digits, once
// each, Subject words marked apart because they weigh differently.
func Tokens(subject, text string) []string {
	t := newTokenSet()
	t.words("s:", subject)
	t.words("", text)
	return t.out
}

// MessageTokens returns the features of a parsed message, as learnt by
// mailgw learn and classified by the engine: the same function on both
// sides, so that learning and checking always agree.
func MessageTokens(msg *mimetree.Message) []string {
	return messageTokens(msg, mimetree.DecodeWords(msg.Header.Get("Subject")), extractContent(msg))
}

// messageTokens adds to the words of Subject and text what the header and
// the links say: who sent the message and through which hosts, with which
// program, in which shape, pointing where. Each kind has its own prefix,
// because "example.com" as a link and as a relay are different evidence.
func messageTokens(msg *mimetree.Message, subject string, c *content) []string {
	t := newTokenSet()
	headerTokens(t, msg)
	partTokens(t, msg)
	linkTokens(t, c.links)
	t.words("s:", subject)
	t.textWords(c.text)
	return t.out
}

// textWords adds the words of a text like words, and for each word in
// capitals ("FREE", "ACT NOW") also the word marked "uc:": shouting is
// evidence of its own, which lower-casing alone would lose.
func (t *tokenSet) textWords(s string) {
	eachWord(s, func(w string) bool {
		t.key = appendLower(t.key[:0], w)
		t.addKey()
		if shouting(w) {
			t.key = appendLower(append(t.key[:0], "uc:"...), w)
			t.addKey()
		}
		return !t.full()
	})
}

// minShout is how many capital letters, and no small one, make a word
// shouted: "OK" and "TV" are not.
const minShout = 3

func shouting(w string) bool {
	upper := 0
	for _, r := range w {
		switch {
		case unicode.IsLower(r):
			return false
		case unicode.IsUpper(r):
			upper++
		}
	}
	return upper >= minShout
}

// headerTokens adds the names of the fields present and the values of
// the fields that tell sender, path and software apart. A mailing list's
// fields (listField) are left out, and so are the Received hosts of a
// message a list passed on: they describe the list, which carries the
// spam sent to it as well as its members' mail.
func headerTokens(t *tokenSet, msg *mimetree.Message) {
	received := 0
	viaList := isListMessage(msg)
	start := len(t.out)
	fields := msg.Header.Fields()
	for fields.Next() && len(t.out)-start < maxHeaderTokens {
		key := strings.ToLower(fields.Key())
		if deliveryField(key) || listField(key) {
			continue
		}
		t.add("h:" + key)
		value := fields.Value()
		switch key {
		case "from", "reply-to", "to", "cc":
			addressTokens(t, key, mimetree.DecodeWords(value))
		case "received":
			if received++; received <= maxReceived && !viaList {
				hostTokens(t, "rcvd:", value)
			}
		case "message-id":
			if _, dom, ok := strings.Cut(value, "@"); ok {
				hostTokens(t, "mid:", dom)
			}
		case "x-mailer", "user-agent", "x-mimeole", "organization":
			t.words(key+":", mimetree.DecodeWords(value))
		}
	}
}

// listField reports whether a field is written by a mailing list's
// software as it passes a message on (RFC 2369 List-*, RFC 2919 List-Id,
// Mailman's, ezmlm's and older list servers' own fields, and the
// Sender and Errors-To they set, RFC 5322 3.6.2).
func listField(key string) bool {
	switch key {
	case "sender", "errors-to", "precedence", "mailing-list", "x-beenthere", "x-loop",
		"x-mailing-list", "x-list", "x-original-sender", "x-original-date":
		return true
	}
	return strings.HasPrefix(key, "list-") || strings.HasPrefix(key, "x-mailman-") ||
		strings.HasPrefix(key, "x-ezmlm-") || strings.HasPrefix(key, "x-listserver")
}

// isListMessage reports whether a mailing list passed the message on:
// it names the list (RFC 2919) or its list software.
func isListMessage(msg *mimetree.Message) bool {
	for _, k := range []string{"List-Id", "List-Post", "X-BeenThere", "Mailing-List", "X-Mailing-List"} {
		if msg.Header.Get(k) != "" {
			return true
		}
	}
	return false
}

// deliveryField reports whether a field is written at or after final
// delivery: by the delivering MTA (Return-Path, RFC 5321 4.4;
// Delivered-To, Envelope-To), by a filter on the mailbox host (X-Spam-*)
// or by the mail store and the reader's program (Status, X-Status,
// X-Keywords, X-UID). A gateway never sees them, while messages learnt
// from mailbox files are full of them: tokens of theirs would describe
// the mailbox a message was saved in, not the message.
func deliveryField(key string) bool {
	switch key {
	case "return-path", "delivered-to", "delivery-date", "envelope-to", "x-original-to",
		"status", "x-status", "x-keywords", "x-uid", "lines", "content-length":
		return true
	}
	return strings.HasPrefix(key, "x-spam-") || strings.HasPrefix(key, "x-mozilla-")
}

// addressTokens adds the words of an address field (display names and
// the parts of the addresses) and the domains of its addresses.
func addressTokens(t *tokenSet, key, value string) {
	t.words(key+":", value)
	for _, f := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == '<' || r == '>' || r == ' ' }) {
		if d := domainOf(strings.Trim(f, "\"'();")); d != "" && strings.Contains(d, ".") {
			t.add(key + ":dom:" + d)
		}
	}
}

// hostTokens adds the host names and addresses in a field, and for each
// IPv4 address its /24, where a sender's neighbours live.
func hostTokens(t *tokenSet, prefix, value string) {
	for _, h := range hostRE.FindAllString(value, 16) {
		t.add(prefix + strings.ToLower(h))
	}
	for _, a := range ipv4RE.FindAllString(value, 8) {
		if ip, err := netip.ParseAddr(a); err == nil {
			b := ip.As4()
			t.add(prefix + a)
			t.add(prefix + "ip:" + netip.AddrFrom4([4]byte{b[0], b[1], b[2], 0}).String())
		}
	}
}

// partTokens adds the shape of the body: the media type, charset and
// disposition of every part and the extensions of attachment names.
func partTokens(t *tokenSet, msg *mimetree.Message) {
	for _, o := range msg.Objects {
		t.add("ct:" + o.MediaType)
		if o.Charset != "" {
			t.add("cs:" + o.Charset)
		}
		if o.Disposition != "" {
			t.add("cd:" + o.Disposition)
		}
		if i := strings.LastIndexByte(o.Name, '.'); i >= 0 {
			t.add("ext:" + strings.ToLower(o.Name[i+1:]))
		}
	}
}

// linkTokens adds where the links point: host, registered domain and
// scheme, or the kind of address for an IP-literal link.
func linkTokens(t *tokenSet, links []string) {
	for _, l := range links {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(strings.ToLower(l), "www.") {
			l = "http://" + l
		}
		u, err := url.Parse(l)
		if err != nil || u.Scheme == "" {
			continue
		}
		t.add("url:scheme:" + strings.ToLower(u.Scheme))
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		switch {
		case host == "":
		case isIPHost(host):
			t.add("url:ip")
		default:
			t.add("url:" + host)
			t.add("url:dom:" + registered(host))
		}
		if u.Port() != "" {
			t.add("url:port")
		}
	}
}

func isIPHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	_, ok := numericHost(host)
	return ok
}
