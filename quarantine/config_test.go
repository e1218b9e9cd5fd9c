package quarantine

import (
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/config"
)

func parseSection(t *testing.T, body string) (*config.Config, error) {
	t.Helper()
	return config.Parse("test.conf", []byte("[mailgw.quarantine]\n"+body), Schema(), config.Options{})
}

func TestFromConfig(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Settings
		err  string // substring of FromConfig's or the loader's errors
	}{
		{name: "defaults", want: DefaultSettings()},
		{name: "set", body: "Retention=7\nReleaseHost=[::1]:2525\nReleaseHelo=gw.example.com\n",
			want: Settings{Retention: 7 * 24 * time.Hour, ReleaseHost: "[::1]:2525", ReleaseHelo: "gw.example.com", ReleaseVia: ViaSMTP}},
		{name: "keep forever", body: "Retention=0\n", want: Settings{ReleaseHost: "127.0.0.1:25", ReleaseHelo: "localhost", ReleaseVia: ViaSMTP}},
		{name: "host name", body: "ReleaseHost=mx.example.com:25\nReleaseHelo=[192.0.2.1]\n",
			want: Settings{Retention: 30 * 24 * time.Hour, ReleaseHost: "mx.example.com:25", ReleaseHelo: "[192.0.2.1]", ReleaseVia: ViaSMTP}},
		{name: "IPv6 literal", body: "ReleaseHelo=[IPv6:2001:db8::1]\n",
			want: Settings{Retention: 30 * 24 * time.Hour, ReleaseHost: "127.0.0.1:25", ReleaseHelo: "[IPv6:2001:db8::1]", ReleaseVia: ViaSMTP}},
		{name: "via queue", body: "ReleaseVia=queue\n",
			want: Settings{Retention: 30 * 24 * time.Hour, ReleaseHost: "127.0.0.1:25", ReleaseHelo: "localhost", ReleaseVia: ViaQueue}},
		{name: "via other", body: "ReleaseVia=lmtp\n", err: "test.conf:2"},
		{name: "negative retention", body: "Retention=-1\n", err: "test.conf:2"},
		{name: "no port", body: "ReleaseHost=127.0.0.1\n", err: "test.conf:2: ReleaseHost: \"127.0.0.1\": want host:port"},
		{name: "bad port", body: "ReleaseHost=127.0.0.1:smtp\n", err: "port \"smtp\""},
		{name: "port 0", body: "ReleaseHost=127.0.0.1:0\n", err: "port \"0\""},
		{name: "bad host", body: "ReleaseHost=bad_host!:25\n", err: "ReleaseHost"},
		{name: "bad helo", body: "\nReleaseHelo=two words\n", err: "test.conf:3: ReleaseHelo"},
		{name: "bad literal", body: "ReleaseHelo=[300.1.1.1]\n", err: "address literal"},
		{name: "empty helo", body: "ReleaseHelo=\n", err: "ReleaseHelo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseSection(t, tt.body)
			var got Settings
			if err == nil {
				var errs config.ErrorList
				got, errs = FromConfig(c)
				err = errs.Err()
			}
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			case tt.err == "" && got != tt.want:
				t.Fatalf("FromConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSchemaDocumented: every parameter has documentation, and the
// schema's defaults are what DefaultSettings says.
func TestSchemaDocumented(t *testing.T) {
	for _, s := range Schema() {
		if s.Doc == "" {
			t.Errorf("section %s has no Doc", s.Name)
		}
		for _, p := range s.Params {
			if p.Doc == "" {
				t.Errorf("%s has no Doc", p.Name)
			}
		}
	}
	c, err := config.Parse("empty", nil, Schema(), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, errs := FromConfig(c)
	if errs.Err() != nil || got != DefaultSettings() {
		t.Errorf("an absent section gives %+v, %v; DefaultSettings is %+v", got, errs.Err(), DefaultSettings())
	}
}
