package service

import (
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
)

func TestParseMilterListen(t *testing.T) {
	for spec, want := range map[string]string{
		"inet:127.0.0.1:8891":      "tcp4 127.0.0.1:8891",
		"inet6:[::1]:8891":         "tcp6 [::1]:8891",
		"inet:8891@localhost":      "tcp4 localhost:8891",
		"unix:/run/mailgw/m.sock":  "unix /run/mailgw/m.sock",
		"local:/run/mailgw/m.sock": "unix /run/mailgw/m.sock",
		"inet:127.0.0.1:0":         "error",
		"unix:relative":            "error",
		"tcp:1.2.3.4:5":            "error",
	} {
		n, a, err := ParseMilterListen(spec)
		got := n + " " + a
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", spec, got, want)
		}
	}
}

func TestMilterFromConfig(t *testing.T) {
	schema := append(config.Schema{{Name: "mailgw.policy"}}, milterSchema())
	c, err := config.Parse("t.conf", []byte("[mailgw.policy]\n[mailgw.milter]\nListenOn=unix:/tmp/m.sock\nSocketMode=0600\nSplit=defer\n"), schema, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var errs config.ErrorList
	s := milterFromConfig(c, &errs)
	if len(errs) > 0 || s.Network != "unix" || s.Address != "/tmp/m.sock" || s.SocketMode != 0o600 || s.Split != SplitDefer || s.ReinjectAddress != "127.0.0.1:10026" {
		t.Errorf("got %+v, %v", s, errs)
	}
	if s.FailOpen || s.HoldQuarantined || s.SocketOwner != "" || s.NotifyAddress != "127.0.0.1:10026" {
		t.Errorf("defaults: got %+v", s)
	}
	c, err = config.Parse("t.conf", []byte("[mailgw.policy]\n[mailgw.milter]\nSocketOwner=root:0\nHoldQuarantined=yes\nOnInternalError=accept\nNotifyAddress=127.0.0.1:2525\n"), schema, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs = nil
	s = milterFromConfig(c, &errs)
	if len(errs) > 0 || s.SocketUID != 0 || s.SocketGID != 0 || !s.HoldQuarantined || !s.FailOpen || s.NotifyAddress != "127.0.0.1:2525" {
		t.Errorf("got %+v, %v", s, errs)
	}
	c, err = config.Parse("t.conf", []byte("[mailgw.policy]\n[mailgw.milter]\nListenOn=inet:nope\nSocketMode=999\nReinjectAddress=x\nSocketOwner=no-such-user-here\nNotifyAddress=y\n"), schema, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs = nil
	milterFromConfig(c, &errs)
	if len(errs) != 5 || !strings.Contains(errs.Error(), "t.conf:3") || !strings.Contains(errs.Error(), "t.conf:6: SocketOwner") {
		t.Errorf("want five errors with positions, got %v", errs)
	}
}
