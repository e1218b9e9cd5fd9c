package pyzor

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// The transfer decoding of Python's email.message.Message.get_payload
// (decode=True), which pyzor applies to text parts. Python decodes damaged
// input its own way, so the digest does not use mimetree's decoding.

// b64Pad is the padding alphabet of base64 (RFC 4648 §4).
const b64Pad = '='

// decodeBase64 is Python's email._encoded_words.decode_b on the lines of
// body joined: strict decoding with the padding completed, else lenient
// decoding (non-alphabet bytes skipped), else lenient decoding with "=="
// appended, else the joined text itself.
func decodeBase64(body []byte) []byte {
	s := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, body)
	var pad []byte
	if n := len(s) % 4; n != 0 {
		pad = []byte("===")[:4-n]
	}
	if strictBase64(s, pad) {
		if out, ok := a2bBase64(append(s[:len(s):len(s)], pad...)); ok {
			return out
		}
	}
	if out, ok := a2bBase64(s); ok {
		return out
	}
	if out, ok := a2bBase64(append(s[:len(s):len(s)], "=="...)); ok {
		return out
	}
	return s
}

// strictBase64 reports whether s+pad is alphabet characters followed by
// at most two "=", the check of base64.b64decode(validate=True).
func strictBase64(s, pad []byte) bool {
	t := append(s[:len(s):len(s)], pad...)
	end := len(t)
	for end > 0 && len(t)-end < 2 && t[end-1] == b64Pad {
		end--
	}
	for _, c := range t[:end] {
		if _, ok := base64Value(c); !ok {
			return false
		}
	}
	return true
}

// a2bBase64 is binascii.a2b_base64 without strict mode: bytes outside the
// alphabet are skipped, a padding that completes a quantum ends the input,
// and a final partial quantum fails.
func a2bBase64(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s)*3/4)
	var acc byte
	quad, pads := 0, 0
	for _, c := range s {
		if c == b64Pad {
			if quad >= 2 {
				if pads++; quad+pads >= 4 {
					return out, true
				}
			}
			continue
		}
		v, ok := base64Value(c)
		if !ok {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			acc = v
		case 1:
			out = append(out, acc<<2|v>>4)
			acc = v & 0x0f
		case 2:
			out = append(out, acc<<4|v>>2)
			acc = v & 0x03
		case 3:
			out = append(out, acc<<6|v)
		}
		quad = (quad + 1) % 4
	}
	return out, quad == 0
}

// b64Alphabet is the base64 alphabet of RFC 4648 §4, in value order.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func base64Value(c byte) (byte, bool) {
	i := strings.IndexByte(b64Alphabet, c)
	return byte(i), i >= 0
}

// decodeQP is binascii.a2b_qp (quopri.decodestring): "=XX" with two hex
// digits is a byte, "=" before a line end a soft line break ("=\r" skips
// to the next "\n"), "==" one "=", any other "=" itself.
func decodeQP(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			out = append(out, s[i])
			continue
		}
		i++
		switch {
		case i >= len(s):
		case s[i] == '\n':
		case s[i] == '\r':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case s[i] == '=':
			out = append(out, '=')
		case i+1 < len(s) && hexByte(s[i:i+2], &out):
			i++
		default:
			out = append(out, '=')
			i--
		}
	}
	return out
}

// hexByte appends the byte two hex digits (either case) spell, if they do.
func hexByte(digits []byte, out *[]byte) bool {
	var b [1]byte
	if _, err := hex.Decode(b[:], digits); err != nil {
		return false
	}
	*out = append(*out, b[0])
	return true
}
