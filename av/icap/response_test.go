package icap

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// crlfText turns the readable "\n" of a test vector into CRLF.
func crlfText(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// cicapVirusFound is c-icap 0.5.10's virus_scan answer to a RESPMOD of
// the EICAR file, as captured on the wire (page shortened, lengths fixed).
var cicapVirusFound = crlfText(`ICAP/1.0 200 OK
Server: C-ICAP/0.5.10
Connection: close
ISTag: "CI0001-L5CkDhq+qWNs+PZ5DxxXsAAA"
X-Infection-Found: Type=0; Resolution=2; Threat=Mailgw.Test.EICAR.UNOFFICIAL;
X-Violations-Found: 1
	-
	Mailgw.Test.EICAR.UNOFFICIAL
	0
	0
Encapsulated: res-hdr=0, res-body=67

HTTP/1.0 403 Forbidden
Server: C-ICAP
Content-Type: text/html

b
VIRUS FOUND
0

`)

func TestReadResponse(t *testing.T) {
	echoHead := crlfText("HTTP/1.1 200 OK\nContent-Length: 11\n\n")
	tests := []struct {
		name  string
		in    string
		limit int
		check func(*Response) bool
		err   error // errors.Is target; nil: no error
	}{
		{name: "204", in: crlfText("ICAP/1.0 204 No Content\nISTag: \"x\"\n\n"),
			check: func(r *Response) bool { return r.Status == 204 && r.Header.Get("ISTag") == `"x"` }},
		{name: "100", in: crlfText("ICAP/1.0 100 Continue\n\n"), check: func(r *Response) bool { return r.Status == 100 }},
		{name: "c-icap virus found", in: cicapVirusFound, limit: 100, check: func(r *Response) bool {
			return r.Status == 200 && r.ResHeader.Status == 403 && string(r.Body) == "VIRUS FOUND" &&
				r.Header.Get("X-Violations-Found") == "1\n-\nMailgw.Test.EICAR.UNOFFICIAL\n0\n0"
		}},
		{name: "echo in two chunks with trailer and extension", limit: 100,
			in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=39\n\n") + echoHead +
				crlfText("5;x=y\nhello\n6\n world\n0\nTrailer: t\n\n"),
			check: func(r *Response) bool {
				return r.HasBody && string(r.Body) == "hello world" && r.ResHeader.Status == 200
			}},
		{name: "body over the limit", limit: 5,
			in:    crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=39\n\n") + echoHead + crlfText("b\nhello world\n0\n\n"),
			check: func(r *Response) bool { return r.BodyTruncated && len(r.Body) <= 5 }},
		{name: "request and null body", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: req-hdr=0, null-body=36\n\nGET /x HTTP/1.1\nHost: a.invalid\n\n"),
			check: func(r *Response) bool { return r.ReqHeader.StartLine == "GET /x HTTP/1.1" && !r.HasBody }},
		{name: "options", in: crlfText("ICAP/1.0 200 OK\nMethods: RESPMOD, REQMOD\nPreview: 1024\nEncapsulated: null-body=0\n\n"),
			check: func(r *Response) bool { return r.Header.Get("Preview") == "1024" }},
		{name: "options body", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: opt-body=0\n\n3\nabc\n0\n\n"),
			check: func(r *Response) bool { return r.HasBody && r.BodyTruncated }},
		{name: "error status without sections", in: crlfText("ICAP/1.0 404 ICAP Service not found\n\n"),
			check: func(r *Response) bool { return r.Status == 404 && r.Reason == "ICAP Service not found" }},
		{name: "bare LF", in: "ICAP/1.0 204 No Content\nISTag: x\n\n", check: func(r *Response) bool { return r.Status == 204 }},

		{name: "empty", in: "", err: io.EOF},
		{name: "cut in header", in: "ICAP/1.0 204 No Content\r\nISTag:", err: io.ErrUnexpectedEOF},
		{name: "HTTP status line", in: crlfText("HTTP/1.1 200 OK\n\n"), err: ErrProtocol},
		{name: "two-digit status", in: crlfText("ICAP/1.0 20 OK\n\n"), err: ErrProtocol},
		{name: "field without colon", in: crlfText("ICAP/1.0 204 OK\nISTag\n\n"), err: ErrProtocol},
		{name: "space in field name", in: crlfText("ICAP/1.0 204 OK\nIS Tag: x\n\n"), err: ErrProtocol},
		{name: "continuation first", in: crlfText("ICAP/1.0 204 OK\n x\n\n"), err: ErrProtocol},
		{name: "line too long", in: "ICAP/1.0 204 OK\r\nX: " + strings.Repeat("x", maxLine) + "\r\n\r\n", err: ErrProtocol},
		{name: "too many fields", in: "ICAP/1.0 204 OK\r\n" + strings.Repeat("X: y\r\n", maxHeaders+2) + "\r\n", err: ErrProtocol},
		{name: "body before head", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-body=0, res-hdr=10\n\n"), err: ErrProtocol},
		{name: "unknown entity", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: foo-hdr=0\n\n"), err: ErrProtocol},
		{name: "first offset not 0", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=5, null-body=10\n\n"), err: ErrProtocol},
		{name: "head without body entry", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0\n\nHTTP/1.1 200 OK\n\n"), err: ErrProtocol},
		{name: "head shorter than its offset says", limit: 100,
			in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=30\n\n") + echoHead + crlfText("0\n\n"), err: ErrProtocol},
		{name: "bad chunk size", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-body=0\n\nzz\n"), err: ErrProtocol},
		{name: "huge chunk size", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-body=0\n\nffffffffffff\n"), err: ErrProtocol},
		{name: "chunk without CRLF", limit: 10, in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-body=0\n\n3\nabcd\n0\n\n"), err: ErrProtocol},
		{name: "cut in body", limit: 10, in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-body=0\n\n3\nab"), err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readResponse(bufio.NewReader(strings.NewReader(tt.in)), tt.limit)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("error %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !tt.check(r) {
				t.Fatalf("%+v, %v", r, err)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	sent := []byte("hello world")
	echo := func(status, extra string, body string) string {
		head := crlfText("HTTP/1.1 " + status + "\n\n")
		return crlfText("ICAP/1.0 200 OK\n"+extra+"Encapsulated: res-hdr=0, res-body="+strconv.Itoa(len(head))+"\n\n") + head +
			chunked(body)
	}
	tests := []struct {
		name, method, in string
		want             Result
		err              error
		temporary        bool
	}{
		{name: "204", in: crlfText("ICAP/1.0 204 No Content\n\n")},
		{name: "echo unchanged", in: echo("200 OK", "", "hello world")},
		{name: "c-icap 403 page", in: cicapVirusFound, want: Result{true, "Mailgw.Test.EICAR.UNOFFICIAL"}},
		{name: "violations only", in: echo("403 Forbidden", "X-Violations-Found: 1\r\n\tfile.exe\r\n\tTrojan.X\r\n\t9\r\n\t2\r\n", "blocked"),
			want: Result{true, "Trojan.X"}},
		{name: "no violations", in: echo("200 OK", "X-Violations-Found: 0\r\n", "hello world")},
		{name: "virus id", in: echo("200 OK", "X-Virus-ID: EICAR Test String\r\n", "hello world"), want: Result{true, "EICAR Test String"}},
		{name: "infection header on 204", in: crlfText("ICAP/1.0 204 No Content\nX-Infection-Found: Type=0; Resolution=0; Threat=W32.X;\n\n"),
			want: Result{true, "W32.X"}},
		{name: "infection without name", in: echo("403 Forbidden", "X-Infection-Found: Type=2; Resolution=2;\r\n", "x"),
			want: Result{true, SignatureUnnamed}},
		{name: "virus id in HTTP head", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=40\n\nHTTP/1.1 200 OK\nX-Virus-ID: Bad.One\n\n") + chunked("hello world"),
			want: Result{true, "Bad.One"}},
		{name: "HTTP error page", in: echo("403 Forbidden", "", "go away"), want: Result{true, SignatureBlocked}},
		{name: "body changed", in: echo("200 OK", "", "hello w0rld"), want: Result{true, SignatureReplaced}},
		{name: "body removed", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, null-body=19\n\nHTTP/1.1 200 OK\n\n"),
			want: Result{true, SignatureReplaced}},
		{name: "body longer", in: echo("200 OK", "", "hello world and more"), want: Result{true, SignatureReplaced}},
		{name: "reqmod answered with a response", method: MethodREQMOD, in: echo("200 OK", "", "hello world"),
			want: Result{true, SignatureBlocked}},
		{name: "reqmod request unchanged", method: MethodREQMOD,
			in: crlfText("ICAP/1.0 200 OK\nEncapsulated: req-hdr=0, req-body=20\n\nPOST /x HTTP/1.1\n\n") + chunked("hello world")},
		{name: "200 with nothing", in: crlfText("ICAP/1.0 200 OK\nEncapsulated: null-body=0\n\n"), err: ErrProtocol},
		{name: "500", in: crlfText("ICAP/1.0 500 Server error\n\n"), temporary: true},
		{name: "503", in: crlfText("ICAP/1.0 503 Service overloaded\n\n"), temporary: true},
		{name: "404", in: crlfText("ICAP/1.0 404 ICAP Service not found\n\n")},
		{name: "405", in: crlfText("ICAP/1.0 405 Method not allowed for service\n\n")},
		{name: "100 as final", in: crlfText("ICAP/1.0 100 Continue\n\n"), err: ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readResponse(bufio.NewReader(strings.NewReader(tt.in)), len(sent))
			if err != nil {
				t.Fatal(err)
			}
			got, err := judge(cmp.Or(tt.method, MethodRESPMOD), sent, r)
			if got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			wantErr := tt.err != nil || tt.temporary || r.Status >= 300
			switch {
			case wantErr != (err != nil):
				t.Fatalf("error %v", err)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			case err != nil && temporary(err) != tt.temporary:
				t.Fatalf("error %v: temporary %t", err, temporary(err))
			}
		})
	}
}

func chunked(body string) string {
	if body == "" {
		return "0\r\n\r\n"
	}
	return strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"
}

// FuzzParseResponse: no input makes the parser or judge panic, the body
// never exceeds the limit, and judge calls clean only a 204 or a 200 that
// returned the very bytes sent, and never with an error.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{cicapVirusFound, crlfText("ICAP/1.0 204 No Content\n\n"),
		crlfText("ICAP/1.0 200 OK\nEncapsulated: res-hdr=0, res-body=19\n\nHTTP/1.1 200 OK\n\n4\nsent\n0\n\n"),
		crlfText("ICAP/1.0 200 OK\nEncapsulated: req-hdr=0, req-body=20\n\nPOST /x HTTP/1.1\n\n4\nsent\n0\n\n"),
		crlfText("ICAP/1.0 200 OK\nX-Violations-Found: 1\n\t-\n\tX\n\t0\n\t0\nEncapsulated: null-body=0\n\n"),
		crlfText("ICAP/1.0 100 Continue\n\n")} {
		f.Add([]byte(s))
	}
	sent := []byte("sent")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readResponse(bufio.NewReader(bytes.NewReader(data)), len(sent))
		if err != nil {
			return
		}
		if len(r.Body) > len(sent) {
			t.Fatalf("body of %d bytes past the limit", len(r.Body))
		}
		for _, method := range []string{MethodRESPMOD, MethodREQMOD} {
			res, err := judge(method, sent, r)
			clean := err == nil && !res.Infected
			switch {
			case err != nil && res != (Result{}):
				t.Fatalf("result %+v with error %v", res, err)
			case clean && r.Status != 204 && (r.Status != 200 || !bytes.Equal(r.Body, sent) || r.BodyTruncated):
				t.Fatalf("clean: %+v", r)
			case res.Infected && res.Signature == "":
				t.Fatalf("infected without a name: %+v", r)
			}
		}
	})
}
