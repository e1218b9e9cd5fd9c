package extract

import (
	"testing"
)

func TestDetectType(t *testing.T) {
	exe := fakeExe()
	pdf := []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
	docx := func(t *testing.T) []byte {
		return zipOf(t, file{name: "[Content_Types].xml", data: []byte("<Types/>")},
			file{name: "word/document.xml", data: []byte("<w:document/>")})
	}
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		file string
		want string
	}{
		{"exe behind a .pdf name", func(*testing.T) []byte { return exe }, "invoice.pdf", typeDosExec},
		{"zip behind a .txt name", func(t *testing.T) []byte { return zipOf(t, file{name: "a", data: []byte("a")}) }, "notes.txt", typeZip},
		{"pdf behind an .exe name", func(*testing.T) []byte { return pdf }, "setup.exe", "application/pdf"},
		{"text behind an .exe name", func(*testing.T) []byte { return []byte("just words\n") }, "setup.exe", "text/plain"},
		{"docx is a zip-based document", docx, "a.bin", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"empty", func(*testing.T) []byte { return nil }, "a.exe", typeEmpty},
		{"gzip", func(t *testing.T) []byte { return gzipOf(t, "", exe) }, "a.txt", typeGzip},
		{"xz", func(t *testing.T) []byte { return xzOf(t, exe) }, "a", typeXz},
		{"bzip2 by its block magic", func(*testing.T) []byte { return []byte("BZh91AY&SY\x00\x00\x00\x00") }, "a", typeBzip2},
		{"tar", func(t *testing.T) []byte { return tarOf(t, file{name: "a", data: exe}) }, "a.doc", typeTar},
		{"7z", func(*testing.T) []byte { return []byte("7z\xbc\xaf\x27\x1c\x00\x04 rest") }, "a", type7z},
		{"rar4", func(*testing.T) []byte { return rar4Of(nil, false) }, "a", typeRar},
		{"rar5", func(*testing.T) []byte { return rar5Of(nil, false) }, "a", typeRar},
		{"empty zip", func(*testing.T) []byte { return []byte("PK\x05\x06" + string(make([]byte, 18))) }, "a", typeZip},
		{"ELF", func(*testing.T) []byte {
			return []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00")
		}, "a.jpg", "application/x-executable"},
		{"mbox", func(*testing.T) []byte { return []byte("From a@b Thu Jul 31 13:51:21 2008\nFrom: a@b\n\nhi\n") }, "a", typeMbox},
		{"From line without a header after it", func(*testing.T) []byte { return []byte("From here we go\nto there\n") }, "a", "text/plain"},
		{"message", func(*testing.T) []byte { return []byte("Received: x\r\nSubject: hi\r\n\r\nbody\r\n") }, "a", typeMessage},
		{"headers of unknown fields: a message only when called .eml", func(*testing.T) []byte {
			return []byte("X-Foo: 1\nX-Bar: 2\n\nbody\n")
		}, "a.eml", typeMessage},
		{"headers of unknown fields, other name", func(*testing.T) []byte { return []byte("X-Foo: 1\nX-Bar: 2\n\nbody\n") }, "a.txt", "text/plain"},
		{"uuencoded", func(*testing.T) []byte {
			return []byte("see below\n\nbegin 644 a.exe\n" + uuLine("MZ hello") + "`\nend\n")
		}, "a.txt", typeUU},
		{"a begin line without uuencoded data", func(*testing.T) []byte { return []byte("begin 644 a.exe\nnot data\n") }, "a", "text/plain"},
		{"random binary", func(*testing.T) []byte { return []byte{0x00, 0x01, 0xfe, 0xff, 0x10, 0x80, 0x00, 0x07} }, "a.txt", typeOctet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectType(tc.data(t), tc.file); got != tc.want {
				t.Errorf("DetectType(%s) = %q, want %q", tc.file, got, tc.want)
			}
		})
	}
}

// uuLine encodes up to 45 bytes as one uuencoded line, with "`" for zero.
func uuLine(s string) string {
	enc := func(b byte) byte {
		if b == 0 {
			return '`'
		}
		return b + ' '
	}
	out := []byte{enc(byte(len(s)))}
	for i := 0; i < len(s); i += 3 {
		var c [3]byte
		copy(c[:], s[i:min(i+3, len(s))])
		out = append(out, enc(c[0]>>2), enc((c[0]<<4|c[1]>>4)&63), enc((c[1]<<2|c[2]>>6)&63), enc(c[2]&63))
	}
	return string(out) + "\n"
}

func TestDetectKindNeedsFullSignature(t *testing.T) {
	// mimetype calls anything starting "BZh" bzip2; Walk must not try to
	// open it as one without the block magic.
	if typ, k := detect([]byte("BZh9 hello there"), "a"); k != kindNone {
		t.Errorf("detect = %q, kind %d: want no container", typ, k)
	}
}

func TestXzFirstDict(t *testing.T) {
	x := xzOf(t, []byte("hello"))
	if d := xzFirstDict(x); d == 0 || d > 64<<20 {
		t.Errorf("dictionary of a default xz stream: %d", d)
	}
	for _, tc := range []struct {
		b    byte
		want uint64
	}{{0, 4 << 10}, {1, 6 << 10}, {18, 2 << 20}, {40, 1<<32 - 1}} {
		if got := lzma2Dict(tc.b); got != tc.want {
			t.Errorf("lzma2Dict(%d) = %d, want %d", tc.b, got, tc.want)
		}
	}
}
