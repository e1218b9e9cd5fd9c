package pyzor

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailgw/mailgw/mimetree"
)

// The digest rules of pyzor 1.0.0 (pyzor/digest.py, DataDigester).
const (
	minLineLength  = 8 // characters of a normalized line for it to count
	atomicNumLines = 4 // messages with at most this many lines are hashed whole

	// maxReparse bounds the nested messages parsed again below mimetree's
	// tree, so that a message of many nested parts costs linear time.
	maxReparse = 4
)

// digestSpec is pyzor's digest_spec: from a longer message, hash Length
// lines starting at Offset percent of the lines. Report and whitelist
// requests send it as Op-Spec.
var digestSpec = [...]struct{ Offset, Length int }{{20, 3}, {60, 3}}

// pySpace is the class of characters Python 3's str.isspace and re's \s
// accept: Go's unicode.IsSpace plus the ASCII separators 0x1C-0x1F.
const pySpace = `\t-\r\x1c- \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// The patterns pyzor removes from every line, in its order. Python's
// re.IGNORECASE makes [a-z] also match U+0130, U+0131, U+017F and U+212A,
// whose simple case mappings are ASCII letters.
var (
	longStrPattern = regexp.MustCompile(`[^` + pySpace + `]{10,}`)
	emailPattern   = regexp.MustCompile(`[^` + pySpace + `]+@[^` + pySpace + `]+`)
	urlPattern     = regexp.MustCompile(`[a-zA-Z\x{130}\x{131}\x{17f}\x{212a}]+:[^` + pySpace + `]+`)
)

// Digest returns the Pyzor digest of msg: what `pyzor digest` prints for
// the same message.
func Digest(msg *mimetree.Message) string {
	var lines []string
	for _, p := range payloads(msg, 0) {
		for _, line := range splitLines(p) {
			if norm := normalize(line); utf8.RuneCountInString(norm) >= minLineLength {
				lines = append(lines, norm)
			}
		}
	}
	return hashLines(lines)
}

// hashLines is the SHA-1 of every line of a short message, or of the lines
// digestSpec picks from a longer one.
func hashLines(lines []string) string {
	h := sha1.New()
	if len(lines) <= atomicNumLines {
		for _, l := range lines {
			h.Write([]byte(l))
		}
	} else {
		for _, s := range digestSpec {
			start := s.Offset * len(lines) / 100
			for i := start; i < start+s.Length && i < len(lines); i++ {
				h.Write([]byte(lines[i]))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// normalize removes what differs between copies of one spam (long tokens
// such as ids, addresses, URLs) and then every blank.
func normalize(line string) string {
	line = longStrPattern.ReplaceAllLiteralString(line, "")
	line = emailPattern.ReplaceAllLiteralString(line, "")
	line = urlPattern.ReplaceAllLiteralString(line, "")
	return strings.Map(func(r rune) rune {
		if isPySpace(r) {
			return -1
		}
		return r
	}, line)
}

func isPySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// isPyLineBreak reports the line boundaries of Python's str.splitlines
// besides "\r\n", which counts once.
func isPyLineBreak(r rune) bool {
	switch r {
	case '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// splitLines splits s as Python's str.splitlines does.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i, r := range s {
		if i < start || !isPyLineBreak(r) {
			continue
		}
		lines = append(lines, s[start:i])
		start = i + utf8.RuneLen(r)
		if r == '\r' && start < len(s) && s[start] == '\n' {
			start++
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// payloads is the text pyzor digests, one string per leaf in the order of
// Python's Message.walk: text parts decoded (HTML reduced to its text),
// other parts as they stand in the message. mimetree gives the tree; the
// type of each leaf is read as Python reads it.
func payloads(msg *mimetree.Message, depth int) []string {
	var out []string
	for _, o := range msg.Objects {
		if o.Kind != mimetree.KindLeaf {
			continue
		}
		ctype := contentType(o)
		mainType, subType, _ := strings.Cut(ctype, "/")
		switch {
		case mainType == "message" && ctype != "message/delivery-status" && depth < maxReparse:
			// Python parses the body of every message/* part as a message
			// of its own, where mimetree only opens message/rfc822 and
			// message/global (and not past its depth limit).
			out = append(out, payloads(mimetree.Parse(o.RawBody(), mimetree.Limits{}), depth+1)...)
		case ctype == "message/delivery-status":
			// Python reads its blocks as header fields: no payload.
		case mainType == "text":
			text := decodeText(o.Charset, transferDecode(o))
			if subType == "html" {
				text = htmlText(text)
			}
			out = append(out, text)
		default:
			// Also a multipart that could not be split: Python keeps its
			// body as one undecoded payload too.
			out = append(out, decodeRaw(o.Charset, o.RawBody()))
		}
	}
	return out
}

// field is the first header field name of o as Python's email package
// (compat32 policy) gives it: the text after the colon with leading
// blanks and the final line end removed, folding kept.
func field(o *mimetree.Object, name string) (string, bool) {
	raw, err := o.Header.Raw(name)
	if err != nil || raw == nil {
		return "", false
	}
	_, value, _ := strings.Cut(string(raw), ":")
	return strings.TrimRight(strings.TrimLeft(value, " \t"), "\r\n"), true
}

// contentType is Python's Message.get_content_type: the type before any
// ";", lower case; text/plain when it is not one "/"-separated pair; the
// default type (message/rfc822 in multipart/digest) when the field is
// missing.
func contentType(o *mimetree.Object) string {
	v, ok := field(o, "Content-Type")
	if !ok {
		if o.Parent != nil && o.Parent.MediaType == "multipart/digest" {
			return "message/rfc822"
		}
		return "text/plain"
	}
	v, _, _ = strings.Cut(v, ";")
	v = strings.ToLower(strings.TrimFunc(v, isPySpace))
	if strings.Count(v, "/") != 1 {
		return "text/plain"
	}
	return v
}

// transferDecode undoes the transfer encoding of a text part as Python
// does: only a field that reads exactly "base64" or "quoted-printable"
// (any case) counts.
func transferDecode(o *mimetree.Object) []byte {
	cte, _ := field(o, "Content-Transfer-Encoding")
	switch strings.ToLower(cte) {
	case "base64":
		return decodeBase64(o.RawBody())
	case "quoted-printable":
		return decodeQP(o.RawBody())
	}
	return o.RawBody()
}
