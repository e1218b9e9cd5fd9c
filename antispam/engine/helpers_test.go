package engine_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/gateway"
	"github.com/mailgw/mailgw/mimetree"
	"github.com/mailgw/mailgw/policy"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// load parses a configuration of [mailgw.policy] lines (and any sections
// written after them) with Bayes off, so that no file of the machine
// changes a verdict.
func load(t testing.TB, lines ...string) *gateway.Gateway {
	t.Helper()
	conf := "[mailgw.policy]\n" + strings.Join(lines, "\n") + "\n"
	if !strings.Contains(conf, "[mailgw.antispam]") {
		conf += "[mailgw.antispam]\nBayesStore=none\n"
	}
	gw, err := gateway.Parse("test.conf", []byte(conf), config.Options{})
	if err != nil {
		t.Fatalf("configuration:\n%v", err)
	}
	return gw
}

// check runs an engine without DNS on a message for the default group.
func check(t testing.TB, gw *gateway.Gateway, env *filter.Envelope, raw string) antispam.Result {
	t.Helper()
	e := engine.New(engine.Options{Settings: gw.AntiSpam, Logger: quiet()})
	return checkWith(t, e, &gw.Policy.Default.Params, env, raw)
}

func checkWith(t testing.TB, e *engine.Engine, p *policy.Params, env *filter.Envelope, raw string) antispam.Result {
	t.Helper()
	if env == nil {
		env = &filter.Envelope{}
	}
	msg := mimetree.Parse([]byte(strings.ReplaceAll(raw, "\n", "\r\n")), mimetree.Limits{})
	r, err := e.CheckSpam(context.Background(), env, msg, p)
	if err != nil {
		t.Fatalf("CheckSpam: %v", err)
	}
	return r
}

func fired(r antispam.Result, name string) bool {
	for _, rule := range r.Rules {
		if rule.Name == name {
			return true
		}
	}
	return false
}

func ruleNames(r antispam.Result) []string {
	var out []string
	for _, rule := range r.Rules {
		out = append(out, rule.Name)
	}
	return out
}

// gtube builds the GTUBE test string from its published parts, so that
// no file of the repository is itself a GTUBE message.
func gtube() string {
	return strings.Join([]string{"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE", "STANDARD", "ANTI", "UBE", "TEST", "EMAIL*C.34X"}, "-")
}

// ham is a message with every header a normal message has.
const hamHeaders = "From: Alice Example <alice@example.org>\nTo: Bob <bob@example.com>\nSubject: Lunch on Friday\n" +
	"Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <lunch-1@example.org>\n"

const hamBody = "\nHi Bob,\n\nshall we meet at noon on Friday? The usual place.\n\nAlice\n"

func env(from string, ip string, rcpts ...string) *filter.Envelope {
	e := &filter.Envelope{From: from, Rcpts: rcpts}
	if ip != "" {
		e.ClientIP = netip.MustParseAddr(ip)
	}
	return e
}

func engineOf(gw *gateway.Gateway) *engine.Engine {
	return engine.New(engine.Options{Settings: gw.AntiSpam, Logger: quiet()})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
