package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	gomilter "github.com/emersion/go-milter"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/milter"
	"github.com/mailgw/mailgw/service"
)

const (
	removeConf = "[mailgw.policy]\nCheckAV=true\nActionInfected=remove\nBlockMessage=\n"
	rejectConf = "[mailgw.policy]\nCheckAV=true\nBlockMessage=av/infected\nBlockReply=550 5.7.1 Refused\n"
)

func parse(t *testing.T, conf string) *gateway.Gateway {
	t.Helper()
	gw, err := gateway.Parse("mailgw.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

// TestReloadKeepsSessions: SIGHUP swaps the filter under an open milter
// connection, and SIGTERM ends the daemon with exit code 0.
func TestReloadKeepsSessions(t *testing.T) {
	addrs := make(chan string, 1)
	d := &daemonState{
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		reload: func() (*gateway.Gateway, bool) { return parse(t, rejectConf), true },
		listen: func(service.Milter) (net.Listener, error) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err == nil {
				addrs <- ln.Addr().String()
			}
			return ln, err
		},
	}
	sigs := make(chan os.Signal, 1)
	exit := make(chan int, 1)
	go func() { exit <- d.serve(parse(t, removeConf), sigs) }()
	s := clientSession(t, <-addrs)

	if act := sendEICAR(t, s); act.Code != gomilter.ActContinue {
		t.Fatalf("before reload: action %+v, want accept with the virus removed", act)
	}
	sigs <- syscall.SIGHUP
	deadline := time.Now().Add(5 * time.Second)
	for {
		act := sendEICAR(t, s) // the same connection as before the reload
		if act.Code == gomilter.ActReplyCode && act.SMTPCode == 550 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after reload: action %+v, want 550", act)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sigs <- syscall.SIGTERM
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d after SIGTERM", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not stop the daemon")
	}
}

func clientSession(t *testing.T, addr string) *gomilter.ClientSession {
	t.Helper()
	c := gomilter.NewClientWithOptions("tcp", addr, gomilter.ClientOptions{
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, ActionMask: milter.Actions})
	s, err := c.Session()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Conn("client.test", gomilter.FamilyInet, 1234, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Helo("client.test"); err != nil {
		t.Fatal(err)
	}
	return s
}

// sendEICAR sends one message with an EICAR attachment (built from two
// pieces at run time) and returns the final action.
func sendEICAR(t *testing.T, s *gomilter.ClientSession) *gomilter.Action {
	t.Helper()
	eicar := `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*"
	var h textproto.Header
	h.Add("Subject", "test")
	h.Add("MIME-Version", "1.0")
	h.Add("Content-Type", `multipart/mixed; boundary="B"`)
	body := "--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\n\r\n" +
		eicar + "\r\n--B--\r\n"
	for _, step := range []func() (*gomilter.Action, error){
		func() (*gomilter.Action, error) { return s.Mail("<a@example.org>", nil) },
		func() (*gomilter.Action, error) { return s.Rcpt("<b@example.com>", nil) },
		func() (*gomilter.Action, error) { return s.Header(h) },
	} {
		if act, err := step(); err != nil || act.Code != gomilter.ActContinue {
			t.Fatalf("step: %+v %v", act, err)
		}
	}
	_, act, err := s.BodyReadFrom(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	return act
}

func TestCheckConfig(t *testing.T) {
	var stderr strings.Builder
	if code := run([]string{"-k"}, &stderr); code != 0 {
		t.Errorf("-k on the embedded default: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"-k", "-c", "../mailgw/testdata/bad.conf"}, &stderr); code == 0 || !strings.Contains(stderr.String(), "bad.conf:2:") {
		t.Errorf("-k on bad.conf: exit %d: %s", code, stderr.String())
	}
}
