package policy

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/config"
)

func TestParsePrefix(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"192.168.0.1", "192.168.0.1/32", ""},
		{"192.168.0.0/255.255.0.0", "192.168.0.0/16", ""},
		{"10.10.0.0/16", "10.10.0.0/16", ""},
		{"10.10.1.7/16", "10.10.0.0/16", ""},
		{"2001:db8::/32", "2001:db8::/32", ""},
		{"::ffff:10.0.0.1", "10.0.0.1/32", ""},
		{"10.0.0.0/255.0.255.0", "", "not contiguous"},
		{"10.0.0.0/33", "", "out of range"},
		{"10.0.0.0/x", "", "bad prefix"},
		{"example.com", "", "not an IP"},
	} {
		p, err := ParsePrefix(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePrefix(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || p.String() != c.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", c.in, p, err, c.want)
		}
	}
}

func TestParseFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Flag
		bad  bool
	}{
		{"as/spam", FlagSpam, false},
		{"AV/Infected", FlagInfected, false},
		{"avf/filtered", FlagFiltered, false},
		{"av/filtered", FlagFiltered, false},
		{"as/all", FlagsAS, false},
		{"all", FlagsAll, false},
		{"none", 0, false},
		{"as/ham", 0, true},
	} {
		got, err := ParseFlag(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseFlag(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestFiltered(t *testing.T) {
	for _, c := range []struct {
		name       string
		p          Params
		file, mime string
		want       bool
	}{
		{"include name", Params{IncludeByName: []string{"*.exe"}}, "a.EXE", "application/octet-stream", true},
		{"include name miss", Params{IncludeByName: []string{"*.exe"}}, "a.doc", "application/msword", false},
		{"include mime", Params{IncludeByMime: []string{"application/x-msdownload"}}, "", "application/x-msdownload", true},
		{"include mime mask", Params{IncludeByMime: []string{"image/*"}}, "a.png", "image/png", true},
		{"exclude keeps match", Params{ExcludeByName: []string{"*.doc"}}, "plan.doc", "application/msword", false},
		{"exclude filters others", Params{ExcludeByName: []string{"*.doc"}}, "pic.png", "image/png", true},
		{"exclude either list", Params{ExcludeByName: []string{"*.doc"}, ExcludeByMime: []string{"image/*"}}, "pic.png", "image/png", false},
		{"path in name", Params{IncludeByName: []string{"*.exe"}}, `C:\tmp\a.exe`, "", true},
		{"no lists", Params{}, "a.exe", "application/x-msdownload", false},
	} {
		if got := c.p.Filtered(c.file, c.mime); got != c.want {
			t.Errorf("%s: Filtered(%q, %q) = %v", c.name, c.file, c.mime, got)
		}
	}
}

func TestDecide(t *testing.T) {
	p := Params{
		BlockMessage:      FlagSpam | FlagInfected,
		QuarantineMessage: FlagsAS,
		NotifyAdmin:       FlagsAll,
		NotifySender:      FlagsAll,
		NotifyRecipient:   FlagInfected,
		MarkSubject:       FlagProbable,
		SubjectMarks:      map[ASStatus]string{ASProbable: "[??]"},
	}
	for _, c := range []struct {
		name     string
		as       ASStatus
		objs     []AVStatus
		null     bool
		block    bool
		quar     Flag
		sender   Flag
		mark     string
		adminHas Flag
	}{
		{"clean", ASNotDetected, []AVStatus{AVClean}, false, false, 0, 0, "", 0},
		{"spam never notifies sender", ASSpam, nil, false, true, FlagSpam, 0, "", FlagSpam},
		{"probable marked", ASProbable, nil, false, false, FlagProbable, 0, "[??]", FlagProbable},
		{"infected", ASNotDetected, []AVStatus{AVClean, AVInfected}, false, true, 0, FlagInfected, "", FlagInfected},
		{"null sender", ASNotDetected, []AVStatus{AVInfected}, true, true, 0, 0, "", FlagInfected},
		{"suspicious passes", ASNotDetected, []AVStatus{AVSuspicious}, false, false, 0, FlagSuspicious, "", FlagSuspicious},
	} {
		v := p.Decide(c.as, c.objs, c.null)
		if v.Block != c.block || v.Quarantine != c.quar || v.NotifySender != c.sender || v.SubjectMark != c.mark || v.NotifyAdmin != c.adminHas {
			t.Errorf("%s: got %+v", c.name, v)
		}
	}
}

func TestSkipAV(t *testing.T) {
	p := Params{CheckAV: true, BlockMessage: FlagSpam}
	if !p.SkipAV(ASSpam) || p.SkipAV(ASProbable) {
		t.Error("AV must be skipped exactly when the anti-spam status blocks")
	}
	p.CheckAV = false
	if !p.SkipAV(ASNotDetected) {
		t.Error("CheckAV=false must skip AV")
	}
}

func loadPolicy(t *testing.T, text string) (*Policy, config.ErrorList) {
	t.Helper()
	c, err := config.Parse("test.conf", []byte(text), Schema(), config.Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return FromConfig(c)
}

func TestGroupsAndSplit(t *testing.T) {
	p, errs := loadPolicy(t, `[mailgw.policy]
[mailgw.netlist:Office]
Network=192.168.7.0/24
Network=2001:db8:7::/48
[mailgw.group:internal]
Senders=user1@example.com
Senders=*@internal.local
Senders=ip 192.168.0.1
Senders=ip 10.1.0.0/255.255.0.0
Senders=ip 172.16.0.0/12
Senders=ip 2001:db8:1::25
Senders=ip 2001:db8:2::/64
Senders=host example.com
Senders=host *.trusted.example
Senders=network Office
Recipients=*@management.local
Recipients=help@helpdesk.local
[mailgw.group:nobody]
Senders=
[mailgw.group:sales]
Recipients=*@sales.example.com
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	mgmt := "boss@management.local"
	for _, c := range []struct {
		name string
		s    Sender
		rcpt string
		want string
	}{
		{"address", Sender{Address: "user1@example.com"}, mgmt, "internal"},
		{"address mask", Sender{Address: "x@INTERNAL.local"}, "help@helpdesk.local", "internal"},
		{"ip", Sender{Address: "z@z", IP: netip.MustParseAddr("192.168.0.1")}, mgmt, "internal"},
		{"ip dotted mask", Sender{IP: netip.MustParseAddr("10.1.200.3")}, mgmt, "internal"},
		{"ip prefix", Sender{IP: netip.MustParseAddr("172.31.255.1")}, mgmt, "internal"},
		{"ip outside prefix", Sender{IP: netip.MustParseAddr("172.32.0.1")}, mgmt, DefaultGroupID},
		{"ipv6 address", Sender{IP: netip.MustParseAddr("2001:db8:1::25")}, mgmt, "internal"},
		{"ipv6 other address", Sender{IP: netip.MustParseAddr("2001:db8:1::26")}, mgmt, DefaultGroupID},
		{"ipv6 prefix", Sender{IP: netip.MustParseAddr("2001:db8:2::abcd")}, mgmt, "internal"},
		{"v4-mapped v6 client", Sender{IP: netip.MustParseAddr("::ffff:192.168.0.1")}, mgmt, "internal"},
		{"host", Sender{Host: "example.com."}, mgmt, "internal"},
		{"host mask", Sender{Host: "mx.trusted.example"}, mgmt, "internal"},
		{"network v4", Sender{IP: netip.MustParseAddr("192.168.7.9")}, mgmt, "internal"},
		{"network v6", Sender{IP: netip.MustParseAddr("2001:db8:7::1")}, mgmt, "internal"},
		{"wrong recipient", Sender{Address: "user1@example.com"}, "x@example.com", DefaultGroupID},
		{"unknown sender", Sender{Address: "a@b", IP: netip.MustParseAddr("10.2.0.1")}, mgmt, DefaultGroupID},
		{"absent Senders is everyone", Sender{}, "a@sales.example.com", "sales"},
	} {
		if g := p.GroupFor(c.s, c.rcpt); g.Name != c.want {
			t.Errorf("%s: group %s, want %s", c.name, g.Name, c.want)
		}
	}
	copies := p.Split(Sender{Address: "user1@example.com"}, []string{"a@x", mgmt, "b@sales.example.com", "c@x"})
	var got []string
	for _, cp := range copies {
		got = append(got, cp.Group.Name+":"+strings.Join(cp.Recipients, ","))
	}
	want := "policy:a@x,c@x internal:boss@management.local sales:b@sales.example.com"
	if strings.Join(got, " ") != want {
		t.Errorf("Split = %v, want %s", got, want)
	}
}

func TestGroupErrors(t *testing.T) {
	_, errs := loadPolicy(t, `[mailgw.policy]
BlockMessage=as/spam,av/worm
ActionInfected=cure
BlockReply=250 ok
[mailgw.group:empty]
CheckAV=false
[mailgw.group:bad]
Senders=ip 300.1.1.1
Senders=network Nowhere
Senders=some one@x
Recipients=<a@b>
`)
	want := []string{
		"test.conf:2: BlockMessage", "test.conf:3: ActionInfected=cure", "test.conf:4: BlockReply",
		"test.conf:5: [mailgw.group:empty]: at least one", "test.conf:8: Senders", "test.conf:9: Senders: network",
		"test.conf:10: Senders", "test.conf:11: Recipients",
	}
	text := errs.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("errors lack %q:\n%s", w, text)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(errs), len(want), text)
	}
}

func TestInheritance(t *testing.T) {
	p, errs := loadPolicy(t, `[mailgw.policy]
CheckSpam=false
ActionInfected=placeholder
MarkSubject=spam
[mailgw.group:g]
Recipients=*@g
ActionInfected=pass
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g := p.Groups[0].Params
	if g.CheckSpam || g.Actions[AVInfected] != ActPass || g.MarkSubject != FlagSpam || !g.CheckAV {
		t.Errorf("group params %+v", g)
	}
	if p.Default.Params.Actions[AVInfected] != ActPlaceholder || p.Default.Params.Actions[AVError] != ActRemove {
		t.Errorf("policy params %+v", p.Default.Params.Actions)
	}
}
