package milterbench

import (
	"net"
	"net/textproto"
	"path/filepath"
	"testing"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/bench/benchproc"
	"github.com/mailgw/mailgw/internal/peer"
)

// nullMilter looks at every stage and accepts at the end, so that Postfix
// sends it the whole message: the milter protocol's cost and nothing more.
type nullMilter struct{}

func (nullMilter) Connect(string, string, uint16, net.IP, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Helo(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) MailFrom(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) RcptTo(string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Header(string, string, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Headers(textproto.MIMEHeader, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) BodyChunk([]byte, *gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespContinue, nil
}
func (nullMilter) Body(*gomilter.Modifier) (gomilter.Response, error) {
	return gomilter.RespAccept, nil
}
func (nullMilter) Abort(*gomilter.Modifier) error { return nil }

var _ gomilter.Milter = nullMilter{}

func startNull(b *testing.B) (string, int) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &gomilter.Server{NewMilter: func() gomilter.Milter { return nullMilter{} }}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "inet:" + ln.Addr().String(), 0
}

// startMailgw builds and runs the real daemon on the embedded default
// policy with the default engines (built-in anti-virus, anti-spam with
// network checks off).
func startMailgw(b *testing.B) (string, int) {
	b.Helper()
	bin := benchproc.Build(b, "./cmd/mailgw-milter")
	addr := peer.FreePort(b)
	conf := filepath.Join(b.TempDir(), "mailgw.conf")
	benchproc.Write(b, conf, mailgwConf(addr))
	p := peer.Start(b, bin, "-c", conf)
	benchproc.WaitListening(b, addr, p)
	return "inet:" + addr, p.Pid()
}

// mailgwConf is the benchmark's configuration: the defaults, both checks
// on, no DNS.
func mailgwConf(addr string) string {
	return "[mailgw.policy]\nCheckSpam=true\nCheckAV=true\nSpamUseDNS=false\n\n[mailgw.milter]\nListenOn=inet:" + addr + "\n"
}
