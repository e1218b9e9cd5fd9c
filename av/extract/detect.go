package extract

import (
	"bytes"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Types this package names itself (mimetype names the rest).
const (
	typeOctet   = "application/octet-stream"
	typeEmpty   = "application/x-empty"
	typeDosExec = "application/x-dosexec"
	typeZip     = "application/zip"
	typeGzip    = "application/gzip"
	typeBzip2   = "application/x-bzip2"
	typeXz      = "application/x-xz"
	typeTar     = "application/x-tar"
	type7z      = "application/x-7z-compressed"
	typeRar     = "application/vnd.rar"
	typeMbox    = "application/mbox"
	typeMessage = "message/rfc822"
	typeUU      = "text/x-uuencode"
)

// kind is what Walk can do with a type.
type kind int

const (
	kindNone kind = iota
	kindZip
	kindGzip
	kindBzip2
	kindXz
	kindTar
	kind7z
	kindRar
	kindMbox
	kindMessage
	kindUU
)

func (k kind) isArchive() bool  { return k >= kindZip && k <= kindRar }
func (k kind) isMailBase() bool { return k >= kindMbox && k <= kindUU }

// openerFor returns the opener of containers of kind k.
func openerFor(k kind) openFunc {
	switch k {
	case kindZip:
		return openZip
	case kindGzip:
		return openGzip
	case kindBzip2:
		return openBzip2
	case kindXz:
		return openXz
	case kindTar:
		return openTar
	case kind7z:
		return open7z
	case kindRar:
		return openRar
	case kindMbox:
		return openMbox
	case kindMessage:
		return openMessage
	case kindUU:
		return openUU
	}
	return nil
}

// kindOf is the kind of a type named by a container's hint.
func kindOf(typ string) kind {
	if typ == typeMessage {
		return kindMessage
	}
	return kindNone
}

// DetectType returns the MIME type of data from its content, without
// parameters. Magic bytes decide; github.com/gabriel-vasile/mimetype
// knows most formats, and we add or rename:
//
//   - every container format Walk opens is recognised here first, by its
//     signature, whatever mimetype's version knows (RAR 4 and 5, 7z, xz,
//     bzip2 with its block magic, zip including empty and spanned ones);
//     zip-based documents keep mimetype's name (docx, jar, ...);
//   - every MZ executable is application/x-dosexec, as file(1) says;
//   - empty data is application/x-empty;
//   - mbox ("From " line, then a header field) is application/mbox;
//   - text holding a uuencoded block ("begin 644 name" then a valid
//     line) is text/x-uuencode;
//   - text made of a header block with known fields is message/rfc822.
//
// The name is never trusted for the type: it only lets a text that starts
// with header fields, none of them a well-known one, count as a message
// when it is called *.eml.
func DetectType(data []byte, name string) string {
	t, _ := detect(data, name)
	return t
}

func detect(data []byte, name string) (string, kind) {
	if len(data) == 0 {
		return typeEmpty, kindNone
	}
	if t, k := signature(data); t != "" {
		return t, k
	}
	mt := mimetype.Detect(data)
	t, _, _ := strings.Cut(mt.String(), ";")
	switch t {
	case "application/vnd.microsoft.portable-executable":
		return typeDosExec, kindNone
	case typeTar:
		return t, kindTar
	case typeMessage:
		return t, kindMessage
	}
	if !strings.HasPrefix(t, "text/") {
		return t, kindNone
	}
	if hasUUBlock(data) {
		return typeUU, kindUU
	}
	if looksLikeMessage(data, strings.EqualFold(path.Ext(name), ".eml")) {
		return typeMessage, kindMessage
	}
	return t, kindNone
}

// signature recognises the containers and executables by their first
// bytes; "" when none matches.
func signature(d []byte) (string, kind) {
	switch {
	case bytes.HasPrefix(d, []byte("PK\x03\x04")), bytes.HasPrefix(d, []byte("PK\x05\x06")),
		bytes.HasPrefix(d, []byte("PK\x07\x08PK\x03\x04")), bytes.HasPrefix(d, []byte("PK00PK\x03\x04")):
		return zipFamily(d), kindZip
	case len(d) >= 3 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8:
		return typeGzip, kindGzip
	case isBzip2(d):
		return typeBzip2, kindBzip2
	case bytes.HasPrefix(d, []byte("\xfd7zXZ\x00")):
		return typeXz, kindXz
	case bytes.HasPrefix(d, []byte("7z\xbc\xaf\x27\x1c")):
		return type7z, kind7z
	case bytes.HasPrefix(d, []byte("Rar!\x1a\x07\x00")), bytes.HasPrefix(d, []byte("Rar!\x1a\x07\x01\x00")):
		return typeRar, kindRar
	case bytes.HasPrefix(d, []byte("MZ")):
		return typeDosExec, kindNone
	case isMbox(d):
		return typeMbox, kindMbox
	}
	return "", kindNone
}

// zipFamily names a zip by what mimetype sees in it (docx, jar, epub...),
// application/zip when it sees nothing more.
func zipFamily(d []byte) string {
	found := mimetype.Detect(d)
	for mt := found; mt != nil; mt = mt.Parent() {
		if mt.Is(typeZip) {
			t, _, _ := strings.Cut(found.String(), ";")
			return t
		}
	}
	return typeZip
}

// isBzip2 checks the stream header and the magic of the first block (or of
// the end of an empty stream).
func isBzip2(d []byte) bool {
	return len(d) >= 10 && bytes.HasPrefix(d, []byte("BZh")) && d[3] >= '1' && d[3] <= '9' &&
		(bytes.Equal(d[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) ||
			bytes.Equal(d[4:10], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90}))
}

// isMbox: a "From " separator line, then a header field.
func isMbox(d []byte) bool {
	if !bytes.HasPrefix(d, []byte("From ")) {
		return false
	}
	first, rest, ok := bytes.Cut(d, []byte("\n"))
	if !ok || len(bytes.TrimSpace(first)) <= len("From ") {
		return false
	}
	second, _, _ := bytes.Cut(rest, []byte("\n"))
	return isHeaderField(second)
}

// isHeaderField reports whether line starts like "Name:" (RFC 5322 field
// name: printable ASCII except colon).
func isHeaderField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// isKnownField reports fields that make a header block a message rather
// than, say, a "Key: value" configuration file.
func isKnownField(name []byte) bool {
	switch strings.ToLower(string(name)) {
	case "from", "to", "cc", "subject", "date", "received", "message-id", "mime-version",
		"content-type", "return-path", "delivered-to", "reply-to", "sender":
		return true
	}
	return false
}

// looksLikeMessage reports whether d starts with a header block (fields and
// continuation lines up to a blank line, within 64 KiB) naming at least one
// known message field, or any field when eml is set.
func looksLikeMessage(d []byte, eml bool) bool {
	d = d[:min(len(d), 64<<10)]
	known, fields := false, 0
	for len(d) > 0 {
		line, rest, ok := bytes.Cut(d, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
			return fields > 0 && (known || eml)
		case line[0] == ' ' || line[0] == '\t':
			if fields == 0 {
				return false
			}
		case isHeaderField(line):
			fields++
			n, _, _ := bytes.Cut(line, []byte(":"))
			known = known || isKnownField(n)
		default:
			return false
		}
		if !ok {
			break
		}
		d = rest
	}
	return false
}
