package bench

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// Message10K builds a deterministic message of about 10 KB: a text and an
// HTML alternative plus one base64 attachment, the common shape of office mail.
func Message10K(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: sender%d@example.org\r\nTo: rcpt@example.com\r\nSubject: Report %d\r\n", i, i)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n")
	b.WriteString("--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n")
	text := strings.Repeat("The quarterly figures are attached, see the summary below. ", 30)
	b.WriteString("--a\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text + "\r\n")
	b.WriteString("--a\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>" + text + "</p></body></html>\r\n--a--\r\n")
	data := bytes.Repeat([]byte{0x25, 0x50, 0x44, 0x46, byte(i)}, 900)
	enc := base64.StdEncoding.EncodeToString(data)
	b.WriteString("--m\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--m--\r\n")
	return b.Bytes()
}
