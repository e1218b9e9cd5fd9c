package milter_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/internal/dnstest"
	"github.com/mailgw/mailgw/internal/fake"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/service"
)

// v6Offer is what Postfix and Sendmail offer: every protocol option.
const v6Offer = gomilter.OptNoConnect | gomilter.OptNoHelo | gomilter.OptNoMailFrom | gomilter.OptNoRcptTo |
	gomilter.OptNoBody | gomilter.OptNoHeaders | gomilter.OptNoEOH | gomilter.OptNoHeaderReply |
	gomilter.OptNoUnknown | gomilter.OptNoData | gomilter.OptSkip | gomilter.OptRcptRej |
	gomilter.OptNoConnReply | gomilter.OptNoHeloReply | gomilter.OptNoMailReply | gomilter.OptNoRcptReply |
	gomilter.OptNoDataReply | gomilter.OptNoUnknownReply | gomilter.OptNoEOHReply | gomilter.OptNoBodyReply |
	gomilter.OptHeaderLeadingSpace

// TestNoReplyNegotiated: offered version 6, the milter takes header fields
// and body chunks without a reply. Were it to answer them anyway, the
// client, which reads no such reply, would take those answers for the
// verdict of the message and lose the real one.
func TestNoReplyNegotiated(t *testing.T) {
	rec, addr := startServer(t, milter.Options{})
	s := sessionOffering(t, addr, v6Offer)
	want := gomilter.OptNoEOH | gomilter.OptNoHeaderReply | gomilter.OptNoBodyReply | gomilter.OptNoUnknown |
		gomilter.OptNoDataReply | envelopeNoReply
	if s.ProtocolOpts != want {
		t.Fatalf("negotiated protocol options %#x, want %#x", s.ProtocolOpts, want)
	}
	big := strings.Repeat("a line of text\r\n", 10000) // 160 KB: three body chunks
	for i, body := range []string{mime("clean"), big, ""} {
		mods, act := send(t, s, "bob@example.com", fmt.Sprint("m", i), body)
		if act.Code != gomilter.ActContinue || !hasHeader(mods, "X-SpamTest-Status") {
			t.Errorf("message %d: action %c, modifications %+v", i, act.Code, mods)
		}
		if len(rec.raws) != i+1 {
			t.Fatalf("message %d: the filter ran %d times", i, len(rec.raws))
		}
		if _, got, _ := strings.Cut(rec.raws[i], "\r\n\r\n"); got != body {
			t.Errorf("message %d: the filter saw a body of %d bytes, want %d", i, len(got), len(body))
		}
	}
	_, act := send(t, s, "carol@reject.test", "virus", mime(fake.MarkInfected))
	if act.Code != gomilter.ActReplyCode || act.SMTPCode != 550 {
		t.Errorf("reject after no-reply messages: action %+v", act)
	}
}

// envelopeNoReply are the no-reply options of the connect, HELO, MAIL
// and RCPT stages.
const envelopeNoReply = gomilter.OptNoConnReply | gomilter.OptNoHeloReply | gomilter.OptNoMailReply | gomilter.OptNoRcptReply

// TestNoReplyEnvelope: the envelope stages go without replies only when
// nothing in the configuration can answer them otherwise, and a message
// gets through either way, packet by packet as Postfix sends it.
func TestNoReplyEnvelope(t *testing.T) {
	dns := dnstest.Start(t).Addr
	tests := []struct {
		name  string
		opts  milter.Options
		quiet bool
	}{
		{"no access rules", milter.Options{}, true},
		{"a DNSBL but no rule", milter.Options{Access: accessLookup(t, dns, "DNSBlackList=bl.test\n")}, true},
		{"ConnectRule", milter.Options{Access: accessLookup(t, dns, "ConnectRule=deny from has_name\n")}, false},
		{"HeloRule", milter.Options{Access: accessLookup(t, dns, "HeloRule=deny from has_ip\n")}, false},
		{"MailfromRule", milter.Options{Access: accessLookup(t, dns, "MailfromRule=deny from has_mx\n")}, false},
		{"split=defer", milter.Options{Split: service.SplitDefer, GroupOf: groupOf(t, testConf)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, addr := startServer(t, tt.opts)
			m := dialRaw(t, addr)
			if code, _ := m.negotiate(6, v6Offer); code != 'O' {
				t.Fatalf("negotiation answer %c", code)
			}
			if got := m.quiet&envelopeNoReply == envelopeNoReply; got != tt.quiet || m.quiet&gomilter.OptNoDataReply == 0 {
				t.Fatalf("negotiated %#x: envelope without replies %v, want %v", m.quiet, got, tt.quiet)
			}
			m.message("192.0.2.10", "client.example")
			if len(rec.envs) != 1 || rec.envs[0].Helo != "client.example" {
				t.Fatalf("filter saw %+v", rec.envs)
			}
		})
	}
}

// TestReloadAddsEnvelopeRule: a connection that negotiated the envelope
// stages without replies cannot pass a denial there; when a reload brings
// a rule that denies, the connection ends and the MTA applies its
// milter_default_action, instead of the two sides falling out of step.
func TestReloadAddsEnvelopeRule(t *testing.T) {
	dns := dnstest.Start(t).Addr
	var rules atomic.Pointer[func() dnsfacts.Lookup]
	none, deny := accessLookup(t, dns, ""), accessLookup(t, dns, "ConnectRule=deny from any\n")
	rules.Store(&none)
	_, addr := startServer(t, milter.Options{Access: func() dnsfacts.Lookup { return (*rules.Load())() }})
	m := dialRaw(t, addr)
	m.negotiate(6, v6Offer)
	if m.quiet&envelopeNoReply != envelopeNoReply {
		t.Fatalf("negotiated %#x, want the envelope without replies", m.quiet)
	}
	rules.Store(&deny)
	m.send('C', "client", "4\x00\x19192.0.2.10")
	if n, err := m.c.Read(make([]byte, 64)); err == nil || os.IsTimeout(err) {
		t.Fatalf("after a denial at a stage without replies: read %d bytes, %v; want the connection closed", n, err)
	}
}

// TestNoReplyNeedsVersion6: an MTA that offers the options with protocol
// version 2 gets go-milter's version 2 answer, which has none of them.
func TestNoReplyNeedsVersion6(t *testing.T) {
	_, addr := startServer(t, milter.Options{})
	m := dialRaw(t, addr)
	code, data := m.negotiate(2, v6Offer)
	if code != 'O' || binary.BigEndian.Uint32(data) != 2 || gomilter.OptProtocol(binary.BigEndian.Uint32(data[8:])) != milter.Protocol {
		t.Fatalf("negotiation answer %c %x", code, data)
	}
}

// TestQuitNewConnection: SMFIC_QUIT_NC ends one SMTP session and the next
// starts on the same milter connection with its own client data.
func TestQuitNewConnection(t *testing.T) {
	rec, addr := startServer(t, milter.Options{})
	m := dialRaw(t, addr)
	if code, data := m.negotiate(6, v6Offer); code != 'O' || binary.BigEndian.Uint32(data) != 6 {
		t.Fatalf("negotiation answer %c %x", code, data)
	}
	m.message("192.0.2.10", "first.example")
	m.send('K')
	m.message("192.0.2.20", "second.example")
	m.send('Q')
	if len(rec.envs) != 2 {
		t.Fatalf("filter ran %d times, want 2", len(rec.envs))
	}
	for i, want := range []string{"192.0.2.10 first.example", "192.0.2.20 second.example"} {
		if got := rec.envs[i].ClientIP.String() + " " + rec.envs[i].Helo; got != want {
			t.Errorf("session %d: client %q, want %q", i+1, got, want)
		}
	}
}

// rawMTA speaks the milter protocol packet by packet, as an MTA would.
type rawMTA struct {
	t     *testing.T
	c     net.Conn
	quiet gomilter.OptProtocol // the options of the milter's negotiation answer
}

func dialRaw(t *testing.T, addr string) *rawMTA {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawMTA{t: t, c: c}
}

// send writes one packet; each part of data ends with a NUL.
func (m *rawMTA) send(cmd byte, data ...string) {
	m.t.Helper()
	var payload []byte
	for _, d := range data {
		payload = append(append(payload, d...), 0)
	}
	m.sendRaw(cmd, payload)
}

func (m *rawMTA) sendRaw(cmd byte, payload []byte) {
	m.t.Helper()
	pkt := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
	pkt = append(append(pkt, cmd), payload...)
	if _, err := m.c.Write(pkt); err != nil {
		m.t.Fatal(err)
	}
}

func (m *rawMTA) reply() (byte, []byte) {
	m.t.Helper()
	var n uint32
	if err := binary.Read(m.c, binary.BigEndian, &n); err != nil {
		m.t.Fatal(err)
	}
	pkt := make([]byte, n)
	if _, err := io.ReadFull(m.c, pkt); err != nil {
		m.t.Fatal(err)
	}
	return pkt[0], pkt[1:]
}

func (m *rawMTA) negotiate(version uint32, proto gomilter.OptProtocol) (byte, []byte) {
	m.t.Helper()
	opt := binary.BigEndian.AppendUint32(nil, version)
	opt = binary.BigEndian.AppendUint32(opt, uint32(milter.Actions))
	opt = binary.BigEndian.AppendUint32(opt, uint32(proto))
	m.sendRaw('O', opt)
	code, data := m.reply()
	if code == 'O' && len(data) >= 12 {
		m.quiet = gomilter.OptProtocol(binary.BigEndian.Uint32(data[8:]))
	}
	return code, data
}

// message runs one SMTP session's message under the negotiated no-reply
// options: header fields and body chunks get no answer, nor do the
// envelope stages when so agreed; the end of the message gets
// modifications and then its verdict.
func (m *rawMTA) message(ip, helo string) {
	m.t.Helper()
	m.expect('C', "client", "4\x00\x19"+ip) // host; family '4', port 25 in 2 bytes, address
	m.expect('H', helo)
	m.expect('M', "<alice@example.org>")
	m.expect('R', "<bob@example.com>")
	m.expect('T')
	m.send('L', "Subject", "hello")
	m.send('B', "text\r\n")
	m.send('E')
	for {
		code, data := m.reply()
		switch code {
		case 'h', 'm', 'i': // header modifications
			continue
		case 'c', 'a':
			return
		}
		m.t.Fatalf("end of message: reply %c %q", code, data)
	}
}

// expect sends a packet and, unless negotiated without a reply, wants
// SMFIR_CONTINUE.
func (m *rawMTA) expect(cmd byte, data ...string) {
	m.t.Helper()
	m.send(cmd, data...)
	noReply := map[byte]gomilter.OptProtocol{'C': gomilter.OptNoConnReply, 'H': gomilter.OptNoHeloReply,
		'M': gomilter.OptNoMailReply, 'R': gomilter.OptNoRcptReply, 'T': gomilter.OptNoDataReply}
	if m.quiet&noReply[cmd] != 0 {
		return
	}
	if code, d := m.reply(); code != 'c' {
		m.t.Fatalf("SMFIC %c: reply %c %q, want continue", cmd, code, d)
	}
}

// FuzzWire feeds the milter arbitrary bytes as an MTA's stream: whatever
// arrives, the connection ends (or answers) within the deadline and the
// server keeps serving the next one.
func FuzzWire(f *testing.F) {
	pkt := func(cmd byte, data string) string {
		return string(binary.BigEndian.AppendUint32(nil, uint32(1+len(data)))) + string(cmd) + data
	}
	var offer []byte
	offer = binary.BigEndian.AppendUint32(offer, 6)
	offer = binary.BigEndian.AppendUint32(offer, uint32(milter.Actions))
	offer = binary.BigEndian.AppendUint32(offer, uint32(v6Offer))
	neg := pkt('O', string(offer))
	f.Add([]byte(neg + pkt('C', "h\x004\x00\x19192.0.2.1\x00") + pkt('M', "<a@b>\x00") + pkt('R', "<c@d>\x00") +
		pkt('L', "Subject\x00x\x00") + pkt('B', "body") + pkt('E', "") + pkt('K', "") + pkt('Q', "")))
	f.Add([]byte(neg + "\x00\x00\x00\x00"))
	f.Add([]byte(neg + "\xff\xff\xff\xffL"))
	f.Add([]byte(pkt('O', "\x00\x00\x00\x06")))
	_, addr := startServer(f, milter.Options{})
	f.Fuzz(func(t *testing.T, stream []byte) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(stream)
		c.(*net.TCPConn).CloseWrite()
		// A reset is an end too: the milter closes on bad input without
		// reading the rest, and the kernel then resets the connection.
		if _, err := io.Copy(io.Discard, c); err != nil && os.IsTimeout(err) {
			t.Fatalf("the milter neither answered to the end nor closed: %v", err)
		}
	})
}
