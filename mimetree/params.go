package mimetree

import (
	"bytes"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
)

// describe fills the fields of o that derive from its header.
func describe(o *Object) {
	h := &o.Header
	o.MediaType, o.Params = mediaParams(h, "Content-Type")
	if !validMediaType(o.MediaType) {
		o.MediaType = "text/plain" // RFC 2045 §5.2: absent or invalid
	}
	if strings.HasPrefix(o.MediaType, "multipart/") {
		setRawBoundary(o)
	}
	o.Charset = strings.ToLower(strings.TrimSpace(o.Params["charset"]))
	disp, dparams := mediaParams(h, "Content-Disposition")
	o.Disposition = normalizeDisposition(disp)
	o.Name = dparams["filename"]
	if o.Name == "" {
		o.Name = o.Params["name"]
	}
	o.cte = normalizeCTE(h.Get("Content-Transfer-Encoding"))
}

// mediaParams parses a Content-Type or Content-Disposition field. go-message
// (mime.ParseMediaType plus RFC 2047 decoding) does the work when it can; it
// rejects the whole field on odd quoting, duplicates or unquoted specials
// (boundary=----=_Part_1), and silently drops RFC 2231 values in charsets
// other than UTF-8 and US-ASCII. lenientParams fills those gaps.
func mediaParams(h *message.Header, key string) (string, map[string]string) {
	raw := h.Get(key)
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	var (
		v      string
		params map[string]string
		err    error
	)
	if key == "Content-Type" {
		v, params, err = h.ContentType()
	} else {
		v, params, err = h.ContentDisposition()
	}
	if err == nil && !strings.Contains(raw, "*") {
		return v, params
	}
	lv, lp := lenientParams(raw, true)
	if err != nil || params == nil {
		return lv, lp
	}
	for k, x := range lp {
		if _, ok := params[k]; !ok {
			params[k] = x
		}
	}
	return v, params
}

// setRawBoundary puts the boundary parameter back as it is written: go-message
// decodes RFC 2047 in every parameter, but mail clients look for the
// boundary as written, and so must the gateway or it would see other parts.
func setRawBoundary(o *Object) {
	ct := o.Header.Get("Content-Type")
	_, p, err := mime.ParseMediaType(ct)
	if err != nil {
		_, p = lenientParams(ct, false)
	}
	if b := p["boundary"]; b != "" {
		if o.Params == nil {
			o.Params = make(map[string]string)
		}
		o.Params["boundary"] = b
	}
}

// lenientParams parses "type; k=v; ..." the way tolerant MUAs do: values may
// be unquoted with specials, quotes may be unterminated, a missing ";"
// after the type is forgiven, the first of duplicate parameters wins, and
// RFC 2231 continuations are stitched and decoded in any charset. With
// decode, RFC 2047 encoded words in values are decoded too.
func lenientParams(raw string, decode bool) (string, map[string]string) {
	segs := splitUnquoted(raw, ';')
	typ := strings.TrimSpace(segs[0])
	if i := strings.IndexAny(typ, " \t"); i >= 0 {
		segs[0] = typ[i:] // "multipart/mixed boundary=x": a missing ";"
		typ = typ[:i]
	} else {
		segs = segs[1:]
	}
	params := make(map[string]string)
	ext := make(map[string]map[int]extPiece)
	for _, seg := range segs {
		k, v, ok := strings.Cut(seg, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			continue
		}
		v = unquoteLenient(strings.TrimSpace(v))
		if base, n, enc, ok := parse2231Key(k); ok {
			if ext[base] == nil {
				ext[base] = make(map[int]extPiece)
			}
			if _, dup := ext[base][n]; !dup {
				ext[base][n] = extPiece{v, enc}
			}
		} else if _, dup := params[k]; !dup {
			if decode {
				v = decodeWords(v)
			}
			params[k] = v
		}
	}
	for base, pieces := range ext {
		if v, ok := stitch2231(pieces); ok {
			params[base] = v // RFC 2231 §4: the extended form wins
		}
	}
	return strings.ToLower(typ), params
}

type extPiece struct {
	v   string
	enc bool // percent-encoded (the key ended in "*")
}

// parse2231Key recognizes "name*", "name*N" and "name*N*" (RFC 2231 §3-4).
func parse2231Key(k string) (base string, n int, enc, ok bool) {
	base, rest, ok := strings.Cut(k, "*")
	if !ok || base == "" {
		return "", 0, false, false
	}
	if rest == "" {
		return base, 0, true, true
	}
	enc = strings.HasSuffix(rest, "*")
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "*"))
	if err != nil || n < 0 || n > 999 {
		return "", 0, false, false
	}
	return base, n, enc, true
}

// stitch2231 joins continuation pieces 0, 1, ... (stopping at a gap),
// percent-decodes the encoded ones and converts from the charset named in
// the first piece ("charset'language'value").
func stitch2231(pieces map[int]extPiece) (string, bool) {
	var buf []byte
	cs := ""
	for n := 0; ; n++ {
		p, ok := pieces[n]
		if !ok {
			break
		}
		v := p.v
		if p.enc && n == 0 && strings.Count(v, "'") >= 2 {
			var lang string
			cs, lang, _ = strings.Cut(v, "'")
			_, v, _ = strings.Cut(lang, "'")
		}
		if p.enc {
			buf = percentDecode(buf, v)
		} else {
			buf = append(buf, v...)
		}
	}
	if _, ok := pieces[0]; !ok {
		return "", false
	}
	return toUTF8(cs, buf), true
}

func percentDecode(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// splitUnquoted splits s at sep outside double quotes.
func splitUnquoted(s string, sep byte) []string {
	var out []string
	inQuote, last := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			out = append(out, s[last:i])
			last = i + 1
		}
	}
	return append(out, s[last:])
}

// unquoteLenient removes the quotes of a quoted-string (tolerating a
// missing closing quote) and its backslash escapes.
func unquoteLenient(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return v
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// decodeWords decodes RFC 2047 encoded words, leaving s as it is on error.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d := mime.WordDecoder{CharsetReader: charset.Reader}
	if out, err := d.DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// toUTF8 converts b from charset cs; b is returned as it is when cs is
// unknown.
func toUTF8(cs string, b []byte) string {
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return string(b)
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return string(b)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func validMediaType(t string) bool {
	typ, sub, ok := strings.Cut(t, "/")
	return ok && isToken(typ) && isToken(sub)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// normalizeDisposition maps unknown dispositions to "attachment", as RFC
// 2183 §2.8 asks.
func normalizeDisposition(d string) string {
	switch d {
	case "":
		return ""
	case "inline":
		return "inline"
	}
	return "attachment"
}

// normalizeCTE lowercases a Content-Transfer-Encoding value and drops
// quotes, comments and trailing junk ("base64 (foo)", "\"7bit\"").
func normalizeCTE(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.Trim(v, `"`)
	if i := strings.IndexAny(v, " \t;(\""); i >= 0 {
		v = v[:i]
	}
	return v
}

// identityCTE reports whether the encoding leaves the body as it is.
func identityCTE(cte string) bool {
	switch cte {
	case "", "7bit", "8bit", "binary":
		return true
	}
	return false
}
