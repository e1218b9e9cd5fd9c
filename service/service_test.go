package service_test

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/service"
)

func listenAddrs(s *service.Service) []string {
	var out []string
	for _, l := range s.Network.ListenOn {
		out = append(out, l.Addr.String())
	}
	return out
}

// The guide's ListenOn examples (2.3.1, 3.4, 6.2) and IPv6.
func TestListenOn(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", []string{"0.0.0.0:25"}}, // the default: port 25 on every interface
		{lines("[mailgw.network]", "ListenOn=0.0.0.0:25"), []string{"0.0.0.0:25"}},
		{lines("[mailgw.network]", "ListenOn=192.168.0.1:1025"), []string{"192.168.0.1:1025"}},
		{lines("[mailgw.network]", "ListenOn=192.168.0.1:25", "ListenOn=10.0.0.1:25"), []string{"192.168.0.1:25", "10.0.0.1:25"}},
		{lines("[mailgw.network]", "ListenOn=[::]:25", "ListenOn=0.0.0.0:25"), []string{"[::]:25", "0.0.0.0:25"}},
		{lines("[mailgw.network]", "ListenOn=[::1]:2525, 127.0.0.1:2525"), []string{"[::1]:2525", "127.0.0.1:2525"}},
		{lines("[mailgw.network]", "ListenOn="), nil}, // milter only
	}
	for _, tt := range tests {
		if got := listenAddrs(load(t, tt.text)); !slices.Equal(got, tt.want) {
			t.Errorf("%q: ListenOn %v, want %v", tt.text, got, tt.want)
		}
	}
	s := load(t, lines("[mailgw.network]", "ListenOn=192.168.0.1:25", "ListenOn=10.0.0.1:25"))
	if p := s.Network.ListenOn[1].Pos; p != (config.Pos{File: "mailgw.conf", Line: 3}) {
		t.Errorf("position %v, want mailgw.conf:3", p)
	}
	if got := s.Network.ListenOn[0].Addr; got != netip.MustParseAddrPort("192.168.0.1:25") {
		t.Errorf("addr %v", got)
	}
}

func TestNetworkDefaultsAndErrors(t *testing.T) {
	s := load(t, "")
	if s.Network.Hostname != "localhost" || s.Network.Postmaster != "postmaster@localhost" {
		t.Errorf("defaults %+v", s.Network)
	}
	s = load(t, lines("[mailgw.network]", "Hostname=mx1.example.com.", "Postmaster=admin@example.com",
		"ProtectedDomains=example.com", "[mailgw.forward]", "ProtectedDomains=*.example.org"))
	if s.Network.Hostname != "mx1.example.com" || !slices.Equal(s.Network.ProtectedDomains, []string{"example.com", "*.example.org"}) {
		t.Errorf("network %+v", s.Network)
	}

	_, errs := service.FromConfig(parse(t, lines("[mailgw.network]",
		"ListenOn=mail.example.com:25", // 2
		"ListenOn=0.0.0.0",             // 3
		"ListenOn=0.0.0.0:0",           // 4
		"ListenOn=0.0.0.0:25",          // 5
		"ListenOn=0.0.0.0:25",          // 6: twice
		"Hostname=bad host",            // 7
		"Postmaster=Admin <a@b.com>",   // 8
		"ProtectedDomains=*",           // 9: access reports it, not service
	)))
	if got := errorLines(errs); fmt.Sprint(got) != "[2 3 4 6 7 8]" {
		t.Errorf("error lines %v, want [2 3 4 6 7 8]:\n%v", got, errs)
	}
	_, errs = service.FromConfig(parse(t, lines("[mailgw.network]", "Hostname=", "Postmaster=")))
	if len(errs) != 2 {
		t.Errorf("empty Hostname and Postmaster: %v", errs)
	}
}

// The guide, 5.5.1.
func TestArchive(t *testing.T) {
	s := load(t, lines("[mailgw.archive]",
		"IncomingArchivePath=/var/spool/mailgw/archive/in",
		"OutgoingArchivePath=/var/spool/mailgw/archive/out",
		"IncomingBcc=archive@example.com",
		"IncomingBcc=legal@example.com, audit@example.com"))
	want := service.Archive{IncomingArchivePath: "/var/spool/mailgw/archive/in", OutgoingArchivePath: "/var/spool/mailgw/archive/out",
		IncomingBcc: []string{"archive@example.com", "legal@example.com", "audit@example.com"}}
	if fmt.Sprint(s.Archive) != fmt.Sprint(want) {
		t.Errorf("archive %+v", s.Archive)
	}
	if s := load(t, ""); s.Archive.IncomingArchivePath != "" || s.Archive.OutgoingArchivePath != "" || s.Archive.IncomingBcc != nil {
		t.Errorf("archiving is on by default: %+v", s.Archive)
	}
	_, errs := service.FromConfig(parse(t, lines("[mailgw.archive]", "IncomingArchivePath=archive/in", "IncomingBcc=not-an-address")))
	if got := errorLines(errs); fmt.Sprint(got) != "[2 3]" {
		t.Errorf("error lines %v:\n%v", got, errs)
	}
}

// The guide, 3.4 and 5.1.1–5.1.3, as printed (the wrapped component lists
// are joined by the loader).
func TestUpdaterGuideExamples(t *testing.T) {
	s := load(t, `[updater.options]
KeepSilent=true
UpdateServerUrl=/home/kluser/bases
UseUpdateServerUrl=true
UseUpdateServerUrlOnly=false
ProxyAddress=http://proxy.example.com:3128
UpdateComponentsList=AVS, AVS_OLD, CORE, Updater,
BLST
RetranslateComponentsList=KAS303, AVS, AVS_OLD,
CORE, Updater, BLST

[updater.report]
Append=true
ReportLevel=1
`)
	u := s.Updater
	if !u.KeepSilent || !u.UseUpdateServerURL || u.UseUpdateServerURLOnly || u.UpdateServerURL != "/home/kluser/bases" ||
		u.ProxyAddress != "http://proxy.example.com:3128" || !u.ReportAppend || u.ReportLevel != 1 {
		t.Errorf("updater %+v", u)
	}
	if !slices.Equal(u.UpdateComponentsList, []string{"AVS", "AVS_OLD", "CORE", "Updater", "BLST"}) ||
		!slices.Equal(u.RetranslateComponentsList, []string{"KAS303", "AVS", "AVS_OLD", "CORE", "Updater", "BLST"}) {
		t.Errorf("components %q / %q", u.UpdateComponentsList, u.RetranslateComponentsList)
	}
}

func TestUpdaterDefaultsAndErrors(t *testing.T) {
	u := load(t, "").Updater
	if u.KeepSilent || u.UseUpdateServerURL || u.UseUpdateServerURLOnly || u.UpdateServerURL != "" || u.PostUpdateCmd != "" ||
		u.ProxyAddress != "" || u.UpdateComponentsList != nil || u.ReportAppend || u.ReportLevel != 2 || u.ReportFileName != "" {
		t.Errorf("defaults %+v", u)
	}
	load(t, lines("[updater.options]", "UpdateServerUrl=https://updates.example.com/bases", "UseUpdateServerUrl=yes",
		"UseUpdateServerUrlOnly=yes", "ProxyAddress=proxy:3128", "PostUpdateCmd=/usr/bin/mailgw reload",
		"[updater.report]", "ReportFileName=/var/log/mailgw/update.log"))

	_, errs := service.FromConfig(parse(t, lines("[updater.options]",
		"UpdateServerUrl=bases",         // 2: relative
		"UseUpdateServerUrlOnly=true",   // 3: without UseUpdateServerUrl
		"ProxyAddress=socks5://proxy:1", // 4
		"UpdateComponentsList=AVS, A-V", // 5
		"[updater.report]",              // 6
		"ReportFileName=update.log",     // 7
	)))
	if got := errorLines(errs); fmt.Sprint(got) != "[2 3 4 5 7]" {
		t.Errorf("error lines %v, want [2 3 4 5 7]:\n%v", got, errs)
	}
	_, errs = service.FromConfig(parse(t, lines("[updater.options]", "UseUpdateServerUrl=true")))
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "UpdateServerUrl is empty") {
		t.Errorf("errors %v", errs)
	}
}

// Every parameter is documented, and every Int has a range.
func TestSchemaDocumented(t *testing.T) {
	for _, ss := range service.Schema() {
		if ss.Doc == "" {
			t.Errorf("[%s] has no Doc", ss.Name)
		}
		for _, p := range ss.Params {
			if p.Doc == "" || !strings.HasSuffix(strings.TrimSpace(p.Doc), ".") && !strings.HasSuffix(p.Doc, ")") {
				t.Errorf("[%s] %s: Doc %q", ss.Name, p.Name, p.Doc)
			}
			if p.Kind == config.Int && p.Max <= p.Min {
				t.Errorf("[%s] %s has no range", ss.Name, p.Name)
			}
		}
	}
}

// The sections of the embedded default configuration that this package
// owns decode without errors, so the daemon starts on a fresh machine.
func TestEmbeddedDefaultSections(t *testing.T) {
	var keep []string
	ours := false
	for line := range strings.Lines(string(config.DefaultFile())) {
		if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "[") {
			_, ours = schema().Lookup(strings.Trim(trimmed, "[]"))
		}
		if ours {
			keep = append(keep, line)
		}
	}
	s := load(t, strings.Join(keep, ""))
	if s.Network.Hostname == "" || s.Network.Postmaster == "" || len(s.Network.ListenOn) == 0 {
		t.Errorf("network %+v", s.Network)
	}
}
