package mimetree

import (
	"bytes"
	"fmt"

	"github.com/emersion/go-message"
)

// decodeBody undoes a Content-Transfer-Encoding. It always returns content:
// on damage it decodes leniently and reports ErrDecode; for an unknown
// encoding it returns body unchanged with ErrUnknownEncoding.
func decodeBody(cte string, body []byte) ([]byte, error) {
	if identityCTE(cte) {
		return body, nil
	}
	if cte != "base64" && cte != "quoted-printable" {
		return body, fmt.Errorf("%w: %q", ErrUnknownEncoding, cte)
	}
	// go-message's decoders, fed a header holding only the transfer
	// encoding, so that no charset conversion happens.
	var h message.Header
	h.Set("Content-Transfer-Encoding", cte)
	e, err := message.New(h, bytes.NewReader(body))
	if err != nil {
		return body, fmt.Errorf("%w: %v", ErrUnknownEncoding, err)
	}
	var out bytes.Buffer
	out.Grow(len(body))
	_, err = out.ReadFrom(e.Body)
	if err == nil {
		return out.Bytes(), nil
	}
	// The decoder stopped at the first bad byte. A mail client would skip
	// it and go on; decode everything the same way so that nothing after
	// the damage escapes scanning.
	if cte == "base64" {
		return lenientBase64(body), fmt.Errorf("%w: %v", ErrDecode, err)
	}
	return lenientQP(body), fmt.Errorf("%w: %v", ErrDecode, err)
}

// lenientBase64 decodes base64 skipping every byte outside the alphabet.
// "=" ends the current quantum (so concatenated encodings decode too), and
// so does the end of a line that held junk, so that the lines after it are
// decoded in step again; a partial quantum yields the bytes it holds.
func lenientBase64(src []byte) []byte {
	out := make([]byte, 0, len(src)*3/4+3)
	var acc uint32
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, byte(acc>>4))
		case 3:
			out = append(out, byte(acc>>10), byte(acc>>2))
		}
		acc, n = 0, 0
	}
	junk := false
	for _, c := range src {
		v, ok := base64Value(c)
		switch {
		case ok:
			acc = acc<<6 | uint32(v)
			if n++; n == 4 {
				out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
				acc, n = 0, 0
			}
		case c == '=':
			flush()
		case c == '\n':
			if junk {
				flush()
			}
			junk = false
		case c != '\r' && c != ' ' && c != '\t':
			junk = true
		}
	}
	flush()
	return out
}

func base64Value(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}

// lenientQP decodes quoted-printable taking anything that is not a valid
// escape or soft line break literally.
func lenientQP(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(src) && isHex(src[i+1]) && isHex(src[i+2]) {
			out = append(out, unhex(src[i+1])<<4|unhex(src[i+2]))
			i += 2
			continue
		}
		// Soft line break: "=", optional blanks, line end.
		j := i + 1
		for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
			j++
		}
		switch {
		case j < len(src) && src[j] == '\n':
			i = j
		case j+1 < len(src) && src[j] == '\r' && src[j+1] == '\n':
			i = j + 1
		case j == len(src):
			i = j
		default:
			out = append(out, c)
		}
	}
	return out
}
