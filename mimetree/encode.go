package mimetree

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
)

// encodeBody applies a transfer encoding; identity and unknown encodings
// return content as it is (an unknown encoding was never decoded either).
func encodeBody(content []byte, cte, nl string) []byte {
	switch cte {
	case "base64":
		return encodeBase64(content, nl)
	case "quoted-printable":
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		w.Write(content) // writes to a bytes.Buffer do not fail
		w.Close()
		return convertNL(buf.Bytes(), nl)
	}
	return content
}

// encodeBase64 writes lines of 76 characters, each ended by nl.
func encodeBase64(content []byte, nl string) []byte {
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(content)))
	base64.StdEncoding.Encode(enc, content)
	out := make([]byte, 0, len(enc)+(len(enc)/76+1)*len(nl))
	for len(enc) > 0 {
		n := min(76, len(enc))
		out = append(append(out, enc[:n]...), nl...)
		enc = enc[n:]
	}
	return out
}

// convertNL turns the CRLF line endings produced by Go's encoders into nl.
func convertNL(b []byte, nl string) []byte {
	if nl == "\r\n" {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte(nl))
}

// normalizeNL makes every line ending (CRLF, bare LF, bare CR) nl, as SMTP
// requires for text sent in 7bit or 8bit.
func normalizeNL(b []byte, nl string) []byte {
	out := make([]byte, 0, len(b)+len(b)/32)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			out = append(out, nl...)
		case '\n':
			out = append(out, nl...)
		default:
			out = append(out, b[i])
		}
	}
	return out
}

// chooseCTE picks the transfer encoding for new content of media type mt:
// 7bit for plain ASCII text, quoted-printable for other text, base64 for
// everything else (composite types must stay 7bit or 8bit).
func chooseCTE(mt string, content []byte) string {
	switch {
	case strings.HasPrefix(mt, "text/"):
		if is7bitText(content) {
			return "7bit"
		}
		return "quoted-printable"
	case strings.HasPrefix(mt, "message/"), strings.HasPrefix(mt, "multipart/"):
		if isASCII(content) {
			return "7bit"
		}
		return "8bit"
	}
	return "base64"
}

// is7bitText reports whether content may be sent as 7bit (RFC 2045 §2.7):
// ASCII without NUL or bare CR, lines of at most 998 bytes.
func is7bitText(content []byte) bool {
	line := 0
	for i, c := range content {
		switch {
		case c == 0 || c >= 0x80:
			return false
		case c == '\r' && (i+1 == len(content) || content[i+1] != '\n'):
			return false
		case c == '\n':
			line = 0
			continue
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isUTF8Charset reports whether text in cs may receive UTF-8 as it is.
func isUTF8Charset(cs string) bool {
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// asciiCompatible reports whether ASCII bytes mean ASCII characters in cs,
// so that ASCII text (or HTML character references) can be appended to
// text in that charset. Unknown names are assumed compatible, as nearly all
// mail charsets are; the exceptions are listed.
func asciiCompatible(cs string) bool {
	for _, p := range []string{"utf-16", "utf-32", "ucs-2", "ucs-4", "utf-7", "unicode-1-1-utf-7",
		"iso-2022", "hz-gb", "ebcdic", "ibm037", "cp037", "ibm500", "cp500", "ibm1047", "cp1047"} {
		if strings.HasPrefix(cs, p) {
			return false
		}
	}
	return true
}
