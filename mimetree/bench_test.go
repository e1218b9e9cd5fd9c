package mimetree

import (
	"encoding/base64"
	"strings"
	"testing"
)

// benchMessage is a ~10 KB multipart/mixed message: a text part and one
// base64 attachment.
func benchMessage() []byte {
	bin := make([]byte, 6800)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	enc := base64.StdEncoding.EncodeToString(bin)
	var b strings.Builder
	b.WriteString("From: a@example.org\r\nTo: b@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"bench-boundary\"\r\n\r\n" +
		"--bench-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.Repeat("Please find the monthly report attached.\r\n", 12))
	b.WriteString("--bench-boundary\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--bench-boundary--\r\n")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	raw := benchMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if m := Parse(raw, Limits{}); len(m.Objects) != 3 || m.Objects[2].Err != nil {
			b.Fatal("unexpected parse")
		}
	}
}

func BenchmarkRenderRemoveAttachment(b *testing.B) {
	m := Parse(benchMessage(), Limits{})
	edits := []Edit{{Op: Remove, Path: "2"}, {Op: AppendText, Text: "Scanned by mailgw."}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := m.RenderBody(edits); err != nil {
			b.Fatal(err)
		}
	}
}
