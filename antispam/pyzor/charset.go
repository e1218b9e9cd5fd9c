package pyzor

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// decodeText decodes a text part the way pyzor does: with the part's
// charset, or ASCII when it has none or Python does not know it, dropping
// what does not decode (errors="ignore").
func decodeText(charset string, b []byte) string {
	return decode(charset, b, false)
}

// decodeRaw is Python's str payload of a non-text part read from bytes:
// pure ASCII as it is, otherwise decoded with the charset parameter (ASCII
// by default) replacing what does not decode with U+FFFD.
func decodeRaw(charset string, b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	return decode(charset, b, true)
}

func decode(charset string, b []byte, replace bool) string {
	c, ok := codecs[codecName(charset)]
	if !ok {
		c = codecs["ascii"]
	}
	return c(b, replace)
}

// codecName resolves a charset label as Python's codecs.lookup does:
// lower case, runs of characters other than letters, digits and "." turned
// into one "_", then the aliases of the encodings package.
func codecName(label string) string {
	var b strings.Builder
	punct := false
	for _, r := range strings.ToLower(label) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			if punct && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			punct = false
			continue
		}
		punct = true
	}
	n := b.String()
	if a, ok := codecAliases[n]; ok {
		return a
	}
	if a, ok := codecAliases[strings.ReplaceAll(n, ".", "_")]; ok {
		return a
	}
	return n
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// codec decodes bytes to text; replace chooses U+FFFD for undecodable
// input over dropping it.
type codec func(b []byte, replace bool) string

func bad(sb *strings.Builder, replace bool) {
	if replace {
		sb.WriteRune(utf8.RuneError)
	}
}

func asciiCodec(b []byte, replace bool) string {
	var sb strings.Builder
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			bad(&sb, replace)
		}
	}
	return sb.String()
}

func latin1Codec(b []byte, _ bool) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// utf8Codec drops or replaces each invalid byte; Python replaces each
// maximal invalid subsequence, which differs only in the number of U+FFFD.
func utf8Codec(b []byte, replace bool) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			bad(&sb, replace)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// singleByte decodes with a code page, changed where Python's table
// differs from x/text's: fix maps a byte to another rune, or to
// utf8.RuneError when Python leaves it undefined.
func singleByte(cm *charmap.Charmap, fix map[byte]rune) codec {
	return func(b []byte, replace bool) string {
		var sb strings.Builder
		for _, c := range b {
			r, ok := fix[c]
			if !ok {
				r = cm.DecodeByte(c)
			}
			if r == utf8.RuneError {
				bad(&sb, replace)
				continue
			}
			sb.WriteRune(r)
		}
		return sb.String()
	}
}

// iso8859 is an ISO 8859 part: Python maps its C1 range 0x80-0x9F to
// U+0080-U+009F, where x/text has nothing.
func iso8859(cm *charmap.Charmap) codec {
	fix := map[byte]rune{}
	for c := 0x80; c <= 0x9f; c++ {
		fix[byte(c)] = rune(c)
	}
	return singleByte(cm, fix)
}

// multiByte decodes with an x/text decoder, which replaces undecodable
// input with U+FFFD; ignoring drops those. Its tables follow WHATWG, which
// for a few rare characters of the CJK charsets differs from Python's.
func multiByte(e encoding.Encoding) codec {
	return func(b []byte, replace bool) string {
		out, err := e.NewDecoder().Bytes(b)
		if err != nil {
			return asciiCodec(b, replace)
		}
		if replace {
			return string(out)
		}
		return strings.ReplaceAll(string(out), string(utf8.RuneError), "")
	}
}

// doubleByte is an EUC-style Python CJK codec over an x/text decoder for
// a superset of it: a byte pair counts only where Python's table can hold
// it (lead and trail ranges, no private use), and a byte that starts no
// such pair is undecodable alone, so that decoding goes on in step with
// Python's at the next byte.
func doubleByte(e encoding.Encoding, lead, trail func(byte) bool) codec {
	return func(b []byte, replace bool) string {
		dec := e.NewDecoder()
		var sb strings.Builder
		for i := 0; i < len(b); i++ {
			c := b[i]
			if c < utf8.RuneSelf {
				sb.WriteByte(c)
				continue
			}
			if lead(c) && i+1 < len(b) && trail(b[i+1]) {
				out, err := dec.Bytes(b[i : i+2])
				if r, n := utf8.DecodeRune(out); err == nil && n == len(out) && r != utf8.RuneError && !privateUse(r) {
					sb.Write(out)
					i++
					continue
				}
			}
			bad(&sb, replace)
		}
		return sb.String()
	}
}

func privateUse(r rune) bool { return r >= 0xe000 && r <= 0xf8ff }

func between(lo, hi byte) func(byte) bool {
	return func(c byte) bool { return lo <= c && c <= hi }
}

// GB 2312 rows 1-9 and 16-87; Big5 leads A1-F9 with trails 40-7E and
// A1-FE; KS X 1001 in EUC-KR.
var (
	gb2312Lead = func(c byte) bool { return between(0xa1, 0xa9)(c) || between(0xb0, 0xf7)(c) }
	big5Trail  = func(c byte) bool { return between(0x40, 0x7e)(c) || between(0xa1, 0xfe)(c) }
)

// codecs are the Python codecs the digest knows, by module name.
var codecs = map[string]codec{
	"ascii":        asciiCodec,
	"utf_8":        utf8Codec,
	"latin_1":      latin1Codec,
	"iso8859_2":    iso8859(charmap.ISO8859_2),
	"iso8859_3":    iso8859(charmap.ISO8859_3),
	"iso8859_4":    iso8859(charmap.ISO8859_4),
	"iso8859_5":    iso8859(charmap.ISO8859_5),
	"iso8859_6":    iso8859(charmap.ISO8859_6),
	"iso8859_7":    iso8859(charmap.ISO8859_7),
	"iso8859_8":    iso8859(charmap.ISO8859_8),
	"iso8859_9":    iso8859(charmap.ISO8859_9),
	"iso8859_10":   iso8859(charmap.ISO8859_10),
	"iso8859_13":   iso8859(charmap.ISO8859_13),
	"iso8859_14":   iso8859(charmap.ISO8859_14),
	"iso8859_15":   iso8859(charmap.ISO8859_15),
	"iso8859_16":   iso8859(charmap.ISO8859_16),
	"cp1250":       singleByte(charmap.Windows1250, nil),
	"cp1251":       singleByte(charmap.Windows1251, nil),
	"cp1252":       singleByte(charmap.Windows1252, nil),
	"cp1253":       singleByte(charmap.Windows1253, nil),
	"cp1254":       singleByte(charmap.Windows1254, nil),
	"cp1255":       singleByte(charmap.Windows1255, map[byte]rune{0xca: utf8.RuneError}),
	"cp1256":       singleByte(charmap.Windows1256, nil),
	"cp1257":       singleByte(charmap.Windows1257, nil),
	"cp1258":       singleByte(charmap.Windows1258, nil),
	"koi8_r":       singleByte(charmap.KOI8R, nil),
	"koi8_u":       singleByte(charmap.KOI8U, map[byte]rune{0xae: 0x255d, 0xbe: 0x256c}),
	"cp866":        singleByte(charmap.CodePage866, nil),
	"cp437":        singleByte(charmap.CodePage437, nil),
	"cp850":        singleByte(charmap.CodePage850, nil),
	"mac_roman":    singleByte(charmap.Macintosh, nil),
	"mac_cyrillic": singleByte(charmap.MacintoshCyrillic, nil),
	"utf_16":       multiByte(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)),
	"utf_16_le":    multiByte(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)),
	"utf_16_be":    multiByte(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)),
	"shift_jis":    multiByte(japanese.ShiftJIS),
	"cp932":        multiByte(japanese.ShiftJIS),
	"euc_jp":       multiByte(japanese.EUCJP),
	"iso2022_jp":   multiByte(japanese.ISO2022JP),
	"euc_kr":       doubleByte(korean.EUCKR, between(0xa1, 0xfe), between(0xa1, 0xfe)),
	"cp949":        multiByte(korean.EUCKR),
	"gb2312":       doubleByte(simplifiedchinese.GBK, gb2312Lead, between(0xa1, 0xfe)),
	"gbk":          multiByte(simplifiedchinese.GBK),
	"gb18030":      multiByte(simplifiedchinese.GB18030),
	"hz":           multiByte(simplifiedchinese.HZGB2312),
	"big5":         doubleByte(traditionalchinese.Big5, between(0xa1, 0xf9), big5Trail),
	"cp950":        multiByte(traditionalchinese.Big5),
}
