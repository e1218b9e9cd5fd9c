package av_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/av/clamd/clamdtest"
	"github.com/mailgw/mailgw/av/icap/icaptest"
	"github.com/mailgw/mailgw/policy"
)

// TestRealBackends runs the engine with builtin, clamd and ICAP together
// against a real clamd and a real c-icap (Debian packages, started here).
func TestRealBackends(t *testing.T) {
	cd := clamdtest.Start(t, clamdtest.Options{})
	ic := icaptest.Start(t, icaptest.Options{ClamdSocket: cd.Unix})
	method := ""
	build := func(engines ...string) *av.Engine {
		e, err := av.Build(av.Settings{Engines: engines, ClamdAddresses: cd.Addrs(), ICAPURL: ic.URL(icaptest.SimpleService), ICAPMethod: method},
			4, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	blob := clamdtest.Blob() // only the test clamd's database knows it
	for _, c := range []struct {
		name    string
		engines []string
		obj     []byte
		status  policy.AVStatus
		sig     string
	}{
		{"clean through all", []string{"builtin", "clamd", "icap"}, []byte("hello"), policy.AVClean, ""},
		{"eicar: builtin names it first", []string{"builtin", "clamd", "icap"}, eicar(), policy.AVInfected, "Eicar"},
		{"clamd alone", []string{"clamd"}, blob, policy.AVInfected, "Mailgw.Test.Blob"},
		{"icap alone", []string{"icap"}, blob, policy.AVInfected, "Mailgw.Test.Blob"},
		{"clamd unpacks the zip too", []string{"clamd"}, zipOf(t, entry{name: "b.bin", data: blob}), policy.AVInfected, "Mailgw.Test.Blob"},
		{"builtin does not know the blob", []string{"builtin"}, blob, policy.AVClean, ""},
	} {
		f, err := build(c.engines...).ScanObject(context.Background(), obj("x.bin", c.obj), params())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if f.Status != c.status || !strings.Contains(f.Signature, c.sig) {
			t.Errorf("%s: %s %q, want %s %q", c.name, f.Status, f.Signature, c.status, c.sig)
		}
	}
	// ICAPMethod=REQMOD sends objects as PUT bodies; c-icap's virus_scan
	// scans those too.
	method = "REQMOD"
	for _, c := range []struct {
		obj    []byte
		status policy.AVStatus
	}{{blob, policy.AVInfected}, {[]byte("hello"), policy.AVClean}} {
		if f, err := build("icap").ScanObject(context.Background(), obj("x.bin", c.obj), params()); err != nil || f.Status != c.status {
			t.Errorf("icap REQMOD: %+v %v, want %s", f, err, c.status)
		}
	}
	method = ""
	// An outage gives the error status, never clean; and what the
	// built-in engine finds still counts while clamd is down.
	cd.Stop()
	for _, engines := range [][]string{{"builtin", "clamd"}, {"icap"}} {
		if f, err := build(engines...).ScanObject(context.Background(), obj("x.bin", []byte("hello")), params()); err != nil || f.Status != policy.AVError {
			t.Errorf("%v with clamd stopped: %+v %v, want the error status", engines, f, err)
		}
	}
	if f, err := build("builtin", "clamd").ScanObject(context.Background(), obj("e.com", eicar()), params()); err != nil || f.Status != policy.AVInfected {
		t.Errorf("EICAR with clamd stopped: %+v %v, want infected by the built-in engine", f, err)
	}
}
