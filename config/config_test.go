package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// testSchema is a small schema shaped like the gateway's.
func testSchema() Schema {
	common := []Param{
		{Name: "CheckSpam", Kind: Bool, Default: "true", Aliases: []string{"CheckSpams"}, Doc: "Run the anti-spam check."},
		{Name: "CheckAV", Kind: Bool, Default: "true"},
		{Name: "ActionInfected", Kind: Enum, Enum: []string{"pass", "remove", "placeholder", "cure"}, Default: "remove"},
		{Name: "SizeLimit", Kind: Int, Default: "1024", Min: 0, Max: 204800, Unit: "KB"},
		{Name: "BlockMessage", Kind: List, Comma: true},
		{Name: "MarkSubject", Kind: List, Comma: true, Default: "spam,probable"},
		{Name: "IncludeByName", Kind: List},
		{Name: "QuarantinePath", Kind: String, Default: "/var/q"},
	}
	group := append([]Param{
		{Name: "Senders", Kind: List, Comma: true},
		{Name: "Recipients", Kind: List, Comma: true},
	}, common...)
	return Schema{
		{Name: "mailgw.policy", Required: true, Params: common},
		{Name: "mailgw.group:*", Inherit: "mailgw.policy", Params: group},
		{Name: "mailgw.limits", Params: []Param{{Name: "IncomingSessions", Kind: Int, Default: "100", Min: 1, Max: 1024}}},
	}
}

func mustParse(t *testing.T, text string, opts Options) *Config {
	t.Helper()
	c, err := Parse("test.conf", []byte(text), testSchema(), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// show renders values as "text@pos" for compact comparisons.
func show(vals []Value) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = v.Text + "@" + v.Pos.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestParseValues(t *testing.T) {
	const pol, sales = "mailgw.policy", "mailgw.group:Sales"
	tests := []struct {
		name, text string
		check      func(t *testing.T, c *Config)
	}{
		{"repeated keys in file order, any case", "[mailgw.policy]\n[mailgw.group:Sales]\nSenders=a\nRecipients=r\nSenders=b\nsenders=c\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, sales, "Senders", "[a@test.conf:3 b@test.conf:5 c@test.conf:6]")
			}},
		{"empty is not absent", "[mailgw.policy]\n[mailgw.group:Sales]\nSenders=\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, sales, "Senders", "[@test.conf:3]")
				if !c.Has(sales, "Senders") || c.Has(sales, "Recipients") {
					t.Errorf("Has: Senders %v Recipients %v", c.Has(sales, "Senders"), c.Has(sales, "Recipients"))
				}
				if v := c.Values(sales, "Recipients"); v != nil {
					t.Errorf("absent key: %v", v)
				}
			}},
		{"comma lists", "[mailgw.policy]\nBlockMessage=av/a, av/b,,\nMarkSubject=,\nIncludeByName=a,b\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, pol, "BlockMessage", "[av/a@test.conf:2 av/b@test.conf:2]")
				if v := c.Values(pol, "MarkSubject"); v == nil || len(v) != 0 {
					t.Errorf("MarkSubject=, : %#v, want present and empty", v)
				}
				wantValues(t, c, pol, "IncludeByName", "[a,b@test.conf:4]")
			}},
		{"case-insensitive names and aliases", "[MAILGW.Policy]\ncheckspams=NO\nActioninfected=PASS\n[mailgw.group:Sales]\nCHECKAV=Off\n",
			func(t *testing.T, c *Config) {
				if c.Bool(pol, "CheckSpam") || !c.Has(pol, "checkspam") || !c.Has("mailgw.POLICY", "CheckSpams") {
					t.Error("CheckSpams alias not applied")
				}
				if got := c.String(pol, "ActionInfected"); got != "pass" {
					t.Errorf("ActionInfected = %q, want the schema's spelling", got)
				}
				if s, ok := c.Section("mailgw.policy"); !ok || s.Name != "MAILGW.Policy" || s.Pos.String() != "test.conf:1" {
					t.Errorf("Section = %+v %v", s, ok)
				}
				if c.Bool("mailgw.group:sales", "CheckAV") {
					t.Error("group CheckAV=Off read as true")
				}
			}},
		{"boolean spellings", "[mailgw.policy]\nCheckSpam=y\nCheckAV=0\n[mailgw.group:A]\nCheckSpam=N\nCheckAV=1\n[mailgw.group:B]\nCheckSpam=TRUE\nCheckAV=false\n[mailgw.group:C]\nCheckSpam=Yes\nCheckAV=no\n",
			func(t *testing.T, c *Config) {
				for _, w := range []struct {
					section    string
					spam, virs bool
				}{{pol, true, false}, {"mailgw.group:A", false, true}, {"mailgw.group:B", true, false}, {"mailgw.group:C", true, false}} {
					if c.Bool(w.section, "CheckSpam") != w.spam || c.Bool(w.section, "CheckAV") != w.virs {
						t.Errorf("[%s]: CheckSpam %v CheckAV %v, want %v %v", w.section, c.Bool(w.section, "CheckSpam"), c.Bool(w.section, "CheckAV"), w.spam, w.virs)
					}
				}
			}},
		{"inheritance and defaults", "[mailgw.policy]\nCheckSpam=no\nSizeLimit=10\n[mailgw.group:Sales]\nCheckAV=no\nSenders=*@sales\n",
			func(t *testing.T, c *Config) {
				wantLookup(t, c, sales, "CheckSpam", "[no@test.conf:2]", pol)
				wantLookup(t, c, sales, "CheckAV", "[no@test.conf:5]", sales)
				wantLookup(t, c, sales, "MarkSubject", "[spam@default probable@default]", "")
				wantLookup(t, c, pol, "QuarantinePath", "[/var/q@default]", "")
				wantLookup(t, c, sales, "BlockMessage", "[]", "")
				if c.Bool(sales, "CheckSpam") || c.Bool(sales, "CheckAV") || !c.Bool(pol, "CheckAV") {
					t.Error("Bool with inheritance")
				}
				if c.Int(sales, "SizeLimit") != 10 || c.Int("mailgw.limits", "IncomingSessions") != 100 {
					t.Error("Int with inheritance or default")
				}
				if c.String(sales, "QuarantinePath") != "/var/q" || c.String(sales, "BlockMessage") != "" {
					t.Error("String default")
				}
			}},
		{"continuation lines", "[mailgw.policy]\nBlockMessage=av/infected,av/suspicious,\n\nav/protected,\nav/error\nCheckAV=yes\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, pol, "BlockMessage", "[av/infected@test.conf:2 av/suspicious@test.conf:2 av/protected@test.conf:2 av/error@test.conf:2]")
				wantValues(t, c, pol, "CheckAV", "[yes@test.conf:6]")
			}},
		{"same section twice merges", "[mailgw.policy]\nBlockMessage=a\n[mailgw.group:x]\nSenders=s\n[Mailgw.Policy]\nBlockMessage=b\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, pol, "BlockMessage", "[a@test.conf:2 b@test.conf:6]")
				if got := fmt.Sprint(c.Sections()); got != "[{mailgw.policy test.conf:1} {mailgw.group:x test.conf:3}]" {
					t.Errorf("Sections = %s", got)
				}
			}},
		{"values are literal", "[mailgw.policy]\nQuarantinePath=/var/q#1 ;x\nIncludeByName=\"quoted\"\nIncludeByName=`tick\nIncludeByName=\"\"\"x\nIncludeByName=a\\\nIncludeByName=- = x\n",
			func(t *testing.T, c *Config) {
				if got := c.String(pol, "QuarantinePath"); got != "/var/q#1 ;x" {
					t.Errorf("QuarantinePath = %q", got)
				}
				wantValues(t, c, pol, "IncludeByName", "[\"quoted\"@test.conf:3 `tick@test.conf:4 \"\"\"x@test.conf:5 a\\@test.conf:6 - = x@test.conf:7]")
			}},
		{"groups in file order", "[mailgw.group:B]\nSenders=b\n[mailgw.policy]\n[mailgw.group:a]\nSenders=a\n[mailgw.limits]\n",
			func(t *testing.T, c *Config) {
				var names []string
				for _, s := range c.SectionsMatching("MAILGW.group:*") {
					names = append(names, s.Name)
				}
				if got := strings.Join(names, " "); got != "mailgw.group:B mailgw.group:a" {
					t.Errorf("SectionsMatching = %q", got)
				}
				if got := len(c.SectionsMatching("mailgw.?imits")); got != 1 {
					t.Errorf("? pattern matched %d", got)
				}
			}},
		{"registry", "[mailgw.policy]\nCheckSpam=no\n[mailgw.group:Sales]\nSenders=a,b\n",
			func(t *testing.T, c *Config) {
				if got := c.Viper().Get("mailgw.policy::checkspam"); !slices.Equal(got.([]string), []string{"no"}) {
					t.Errorf("viper checkspam = %#v", got)
				}
				if got := c.Viper().Get("mailgw.group:sales::senders"); !slices.Equal(got.([]string), []string{"a", "b"}) {
					t.Errorf("viper senders = %#v", got)
				}
			}},
		{"comments, BOM and CRLF", "\xef\xbb\xbf# top\r\n; also\r\n[mailgw.policy]\r\n  CheckSpam = no  \r\n",
			func(t *testing.T, c *Config) {
				wantValues(t, c, pol, "CheckSpam", "[no@test.conf:4]")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustParse(t, tt.text, Options{})) })
	}
}

func wantValues(t *testing.T, c *Config, section, key, want string) {
	t.Helper()
	if got := show(c.Values(section, key)); got != want {
		t.Errorf("Values(%s, %s) = %s, want %s", section, key, got, want)
	}
}

func wantLookup(t *testing.T, c *Config, section, key, want, wantFrom string) {
	t.Helper()
	vals, from := c.Lookup(section, key)
	if got := show(vals); got != want || from != wantFrom {
		t.Errorf("Lookup(%s, %s) = %s from %q, want %s from %q", section, key, got, from, want, wantFrom)
	}
	if got := show(c.List(section, key)); got != want {
		t.Errorf("List(%s, %s) = %s, want %s", section, key, got, want)
	}
}

// wantErrors checks that err is an ErrorList whose entries, in order, are at
// the given positions and contain the given text: "pos|text".
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v (%T) is not an ErrorList", err, err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		pos, text, _ := strings.Cut(w, "|")
		if list[i].Pos.String() != pos || !strings.Contains(list[i].Msg, text) {
			t.Errorf("error %d = %q, want %s containing %q", i, list[i].Error(), pos, text)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"scalar twice", "[mailgw.policy]\nCheckSpam=yes\nBlockMessage=a\ncheckspams=no\n",
			[]string{"test.conf:4|CheckSpam is written twice in [mailgw.policy]: here and at test.conf:2"}},
		{"scalar twice across merged sections", "[mailgw.policy]\nSizeLimit=1\n[mailgw.policy]\nSizeLimit=2\n",
			[]string{"test.conf:4|written twice"}},
		{"unknown section", "[mailgw.policy]\n[bogus]\nX=1\n[mailgw.group]\nY=2\n",
			[]string{"test.conf:2|unknown section [bogus]", "test.conf:4|unknown section [mailgw.group]"}},
		{"unknown key", "[mailgw.policy]\nCheckSpam=yes\nCheckSpamz=yes\n\"CheckAV\"=no\n-=1\n",
			[]string{"test.conf:3|unknown key CheckSpamz in [mailgw.policy]", "test.conf:4|unknown key", "test.conf:5|unknown key"}},
		{"bad bool", "[mailgw.policy]\nCheckSpam=maybe\n[mailgw.group:g]\nCheckAV=\n",
			[]string{"test.conf:2|[mailgw.policy] CheckSpam: \"maybe\" is not a boolean", "test.conf:4|\"\" is not a boolean"}},
		{"bad int", "[mailgw.policy]\nSizeLimit=12k\n", []string{"test.conf:2|\"12k\" is not a decimal integer"}},
		{"out of range", "[mailgw.policy]\nSizeLimit=204801\n[mailgw.limits]\nIncomingSessions=0\n",
			[]string{"test.conf:2|204801 is out of range 0–204800 KB", "test.conf:4|0 is out of range 1–1024"}},
		{"bad enum", "[mailgw.policy]\nActionInfected=delete\n", []string{"test.conf:2|\"delete\" is not one of pass, remove, placeholder, cure"}},
		{"key outside section", "CheckSpam=yes\n[mailgw.policy]\n", []string{"test.conf:1|outside any section"}},
		{"missing required section", "[mailgw.limits]\n", []string{"test.conf|missing required section [mailgw.policy]"}},
		{"empty file", "", []string{"test.conf|missing required section"}},
		{"malformed lines", "[mailgw.policy\nCheckSpam=maybe\n[]\n[mailgw.policy] # c\ngarbage\n=x\n!exclude x\n!include\n[a::b]\n",
			[]string{"test.conf:1|unclosed section heading", "test.conf:3|empty section name", "test.conf:4|unexpected text \"# c\"",
				"test.conf:5|expected Key=Value", "test.conf:6|missing key name", "test.conf:7|unknown directive \"!exclude\"",
				"test.conf:8|!include needs a file name", "test.conf:9|may not contain \"::\""}},
		{"several errors at once", "# comment\n[mailgw.policy]\nCheckSpam=perhaps\nSizeLimit=-1\n\n[mailgw.group:g]\nBogus=1\nActionInfected=x\n[nope]\nCheckAV=maybe\n",
			[]string{"test.conf:3|not a boolean", "test.conf:4|out of range", "test.conf:7|unknown key Bogus", "test.conf:8|is not one of", "test.conf:9|unknown section [nope]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.conf", []byte(tt.text), testSchema(), Options{})
			wantErrors(t, err, tt.want...)
			// What comes back with errors holds only the valid values.
			if c != nil && c.Has("mailgw.policy", "CheckSpam") && c.String("mailgw.policy", "CheckSpam") == "perhaps" {
				t.Error("an invalid value was kept")
			}
		})
	}
}

// writeFiles creates the named files in a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInclude(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"main.conf":        "[mailgw.policy]\n!include conf.d/inc.conf\nCheckAV=no\n",
		"conf.d/inc.conf":  "BlockMessage=a\n[mailgw.group:g]\nSenders=s\n!include more.conf\n",
		"conf.d/more.conf": "Recipients=r\n",
	})
	c, err := Load(filepath.Join(dir, "main.conf"), testSchema(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	inc := filepath.Join(dir, "conf.d", "inc.conf")
	wantValues(t, c, "mailgw.policy", "BlockMessage", "[a@"+inc+":1]")
	wantValues(t, c, "mailgw.group:g", "Recipients", "[r@"+filepath.Join(dir, "conf.d", "more.conf")+":1]")
	// Textual inclusion: the line after !include is in the included file's last section.
	wantValues(t, c, "mailgw.group:g", "CheckAV", "[no@"+filepath.Join(dir, "main.conf")+":3]")
	if s, _ := c.Section("mailgw.group:g"); s.Pos.String() != inc+":2" {
		t.Errorf("group position %s", s.Pos)
	}
	if c.Name() != filepath.Join(dir, "main.conf") {
		t.Errorf("Name = %q", c.Name())
	}
}

func TestIncludeErrors(t *testing.T) {
	chain := map[string]string{"main.conf": "[mailgw.policy]\n!include d1.conf\n"}
	for i := 1; i <= 17; i++ {
		chain[fmt.Sprintf("d%d.conf", i)] = fmt.Sprintf("# level %d\n!include d%d.conf\n", i, i+1)
	}
	chain["d18.conf"] = "CheckAV=no\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string // positions relative to the directory
	}{
		{"error inside included file", map[string]string{
			"main.conf": "[mailgw.policy]\n!include inc.conf\nCheckSpam=perhaps\n",
			"inc.conf":  "# included\nSizeLimit=huge\n"},
			[]string{"inc.conf:2|\"huge\" is not a decimal integer", "main.conf:3|not a boolean"}},
		{"cycle", map[string]string{
			"main.conf": "[mailgw.policy]\n!include a.conf\n",
			"a.conf":    "CheckAV=no\n!include b.conf\n",
			"b.conf":    "!include a.conf\n"},
			[]string{"b.conf:1|include cycle: "}},
		{"self include", map[string]string{"main.conf": "[mailgw.policy]\n!include main.conf\n"},
			[]string{"main.conf:2|include cycle"}},
		{"missing include", map[string]string{"main.conf": "[mailgw.policy]\n!include nope.conf\n"},
			[]string{"main.conf:2|cannot include"}},
		{"too deep", chain, []string{"d16.conf:2|nested deeper than 16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Load(filepath.Join(dir, "main.conf"), testSchema(), Options{})
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = filepath.Join(dir, w)
			}
			wantErrors(t, err, want...)
		})
	}
}

func TestFileLists(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"lists/names":  "# dangerous\n*.exe\n\n  *.bat  \n",
		"lists/status": "av/infected,av/error\nas/spam\n",
		"lists/two":    "yes\nno\n",
	})
	names, status := filepath.Join(dir, "lists", "names"), filepath.Join(dir, "lists", "status")
	main := filepath.Join(dir, "main.conf")
	text := "[mailgw.policy]\nIncludeByName=file:lists/names\nIncludeByName=*.scr\nBlockMessage=file:" + status + "\nMarkSubject=file:/dev/null\n"
	c, err := Parse(main, []byte(text), testSchema(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantValues(t, c, "mailgw.policy", "IncludeByName", "[*.exe@"+names+":2 *.bat@"+names+":4 *.scr@"+main+":3]")
	wantValues(t, c, "mailgw.policy", "BlockMessage", "[av/infected@"+status+":1 av/error@"+status+":1 as/spam@"+status+":2]")
	if v := c.Values("mailgw.policy", "MarkSubject"); v == nil || len(v) != 0 {
		t.Errorf("file:/dev/null = %#v, want present and empty", v)
	}

	text = "[mailgw.policy]\nIncludeByName=file:lists/none\nCheckSpam=file:lists/two\nBlockMessage=file:\n"
	_, err = Parse(main, []byte(text), testSchema(), Options{})
	wantErrors(t, err, main+":2|cannot read list file "+filepath.Join(dir, "lists", "none"),
		main+":3|holds 2 values", main+":4|file: needs a file name")
}

func TestEnv(t *testing.T) {
	env := map[string]string{
		"MAILGW_POLICY__CHECKSPAM":         "no",
		"MAILGW_GROUP_SALES__BLOCKMESSAGE": " x, y ,",
		"MAILGW_GROUP_SALES__RECIPIENTS":   "",
		"MAILGW_GROUP_OTHER__CHECKAV":      "no", // no such group in the file
		"MAILGW_LIMITS__INCOMINGSESSIONS":  "5",  // section absent and not required
	}
	lookups := 0
	opts := Options{Env: func(name string) (string, bool) {
		lookups++
		v, ok := env[name]
		return v, ok
	}}
	c := mustParse(t, "[mailgw.policy]\nCheckSpam=yes\n[mailgw.group:Sales]\nBlockMessage=a\n", opts)
	wantValues(t, c, "mailgw.policy", "CheckSpam", "[no@environment MAILGW_POLICY__CHECKSPAM]")
	wantValues(t, c, "mailgw.group:sales", "BlockMessage", "[x@environment MAILGW_GROUP_SALES__BLOCKMESSAGE y@environment MAILGW_GROUP_SALES__BLOCKMESSAGE]")
	wantValues(t, c, "mailgw.group:sales", "Recipients", "[@environment MAILGW_GROUP_SALES__RECIPIENTS]")
	if c.Has("mailgw.limits", "IncomingSessions") || len(c.SectionsMatching("mailgw.group:other")) != 0 {
		t.Error("environment applied to a section absent from the file")
	}
	if want := len(testSchema()[0].Params) + len(testSchema()[1].Params); lookups != want {
		t.Errorf("%d lookups, want %d", lookups, want)
	}

	// A required section may come from the environment alone; bad values are reported.
	env = map[string]string{"MAILGW_POLICY__SIZELIMIT": "lots", "MAILGW_POLICY__CHECKAV": "no"}
	_, err := Parse("test.conf", []byte("[mailgw.limits]\n"), testSchema(), opts)
	wantErrors(t, err, "environment MAILGW_POLICY__SIZELIMIT|[mailgw.policy] SizeLimit: \"lots\" is not a decimal integer")
	env = map[string]string{"MAILGW_POLICY__CHECKAV": "no"}
	c = mustParse(t, "[mailgw.limits]\n", opts)
	if s, ok := c.Section("mailgw.policy"); !ok || s.Pos.File != "environment MAILGW_POLICY__CHECKAV" || c.Bool("mailgw.policy", "CheckAV") {
		t.Errorf("required section from the environment: %+v %v", s, ok)
	}
	if got := EnvName("mailgw.group:Sales-East", "CheckAV"); got != "MAILGW_GROUP_SALES_EAST__CHECKAV" {
		t.Errorf("EnvName = %s", got)
	}
}

func TestOverrides(t *testing.T) {
	text := "[mailgw.policy]\nCheckSpam=yes\n[mailgw.group:Sales]\nBlockMessage=a\nBlockMessage=b\n"
	opts := Options{
		Env: func(name string) (string, bool) { return "no", name == "MAILGW_POLICY__CHECKAV" },
		Overrides: []string{
			"mailgw.policy.CheckSpam=false",
			"mailgw.policy.checkav = yes", // -o wins over the environment
			"mailgw.group:sales.BlockMessage=x",
			"mailgw.group:SALES.BlockMessage=y, z",
			"mailgw.limits.IncomingSessions=7", // a fixed section may be added
			"mailgw.policy.SizeLimit=1",
			"mailgw.policy.SizeLimit=2", // last wins
		},
	}
	c := mustParse(t, text, opts)
	wantValues(t, c, "mailgw.policy", "CheckSpam", "[false@flag -o]")
	wantValues(t, c, "mailgw.policy", "CheckAV", "[yes@flag -o]")
	wantValues(t, c, "mailgw.group:Sales", "BlockMessage", "[x@flag -o y@flag -o z@flag -o]")
	if c.Int("mailgw.limits", "IncomingSessions") != 7 || c.Int("mailgw.policy", "SizeLimit") != 2 {
		t.Error("Int overrides")
	}
	if got := c.Viper().Get("mailgw.group:sales::blockmessage"); !slices.Equal(got.([]string), []string{"x", "y", "z"}) {
		t.Errorf("viper = %#v", got)
	}

	bad := Options{Overrides: []string{"CheckSpam=no", "mailgw.policy.CheckSpam", "bogus.X=1",
		"mailgw.policy.Bogus=1", "mailgw.group:nosuch.CheckAV=no", "mailgw.policy.CheckSpam=perhaps", "mailgw.policy.BlockMessage=file:/nonexistent/x"}}
	_, err := Parse("test.conf", []byte(text), testSchema(), bad)
	wantErrors(t, err,
		"flag -o|-o \"CheckSpam=no\": want section.Key=value",
		"flag -o|want section.Key=value",
		"flag -o|unknown section [bogus]",
		"flag -o|unknown key Bogus in [mailgw.policy]",
		"flag -o|there is no section [mailgw.group:nosuch]",
		"flag -o|cannot read list file /nonexistent/x",
		"flag -o|[mailgw.policy] CheckSpam: \"perhaps\" is not a boolean")
}

func TestBindFlag(t *testing.T) {
	c := mustParse(t, "[mailgw.policy]\nCheckSpam=yes\n[mailgw.group:g]\nSenders=a\n", Options{})
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	spam := fs.Bool("check-spam", true, "")
	fs.Int("size", 5, "")
	fs.StringSlice("senders", nil, "")
	c.BindFlag("mailgw.policy", "CheckSpams", fs.Lookup("check-spam"))
	c.BindFlag("mailgw.policy", "SizeLimit", fs.Lookup("size"))
	c.BindFlag("mailgw.group:G", "Senders", fs.Lookup("senders"))

	// Not set on the command line: the file and the defaults still rule.
	if !c.Bool("mailgw.policy", "CheckSpam") || c.Int("mailgw.policy", "SizeLimit") != 1024 || c.Has("mailgw.policy", "SizeLimit") {
		t.Fatal("an unset flag changed the configuration")
	}
	if err := fs.Parse([]string{"--check-spam=false", "--size=999999", "--senders=x,y"}); err != nil {
		t.Fatal(err)
	}
	if *spam || c.Bool("mailgw.policy", "CheckSpam") {
		t.Error("a set flag did not win over the file")
	}
	wantValues(t, c, "mailgw.policy", "CheckSpam", "[false@flag --check-spam]")
	wantValues(t, c, "mailgw.group:g", "Senders", "[x@flag --senders y@flag --senders]")
	if !c.Has("mailgw.policy", "SizeLimit") || c.Int("mailgw.policy", "SizeLimit") != 999999 {
		t.Error("int flag")
	}
	wantErrors(t, c.Validate(), "flag --size|[mailgw.policy] SizeLimit: 999999 is out of range 0–204800 KB")

	defer func() {
		if recover() == nil {
			t.Error("BindFlag on an unknown key did not panic")
		}
	}()
	c.BindFlag("mailgw.policy", "Nope", fs.Lookup("size"))
}

func TestGetterPanicsOnUnknownKey(t *testing.T) {
	c := mustParse(t, "[mailgw.policy]\n", Options{})
	for name, f := range map[string]func(){
		"Bool":   func() { c.Bool("mailgw.policy", "Nope") },
		"Int":    func() { c.Int("mailgw.nope", "SizeLimit") },
		"String": func() { c.String("mailgw.policy", "Nope") },
		"List":   func() { c.List("mailgw.policy", "Nope") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
	if c.Values("mailgw.policy", "Nope") != nil || c.Has("nope", "x") {
		t.Error("Values/Has on unknown keys")
	}
}

func TestLoadDefault(t *testing.T) {
	// The embedded default's contents are checked against the real schema
	// in package gateway; here only that it is embedded and named.
	if len(DefaultFile()) == 0 || !strings.Contains(string(DefaultFile()), "[mailgw.policy]") {
		t.Error("no embedded default")
	}
	c, err := Parse(DefaultName, []byte("[mailgw.policy]\n"), testSchema(), Options{})
	if err != nil || c.Name() != "(embedded default)" {
		t.Fatalf("Name: %v", err)
	}
	_, err = Load(filepath.Join(t.TempDir(), "missing.conf"), testSchema(), Options{})
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || !strings.HasSuffix(list[0].Pos.File, "missing.conf") {
		t.Errorf("missing file: %v", err)
	}
}

func TestMarkdown(t *testing.T) {
	schema := Schema{
		{Name: "mailgw.policy", Doc: "The default group.", Required: true, Params: []Param{
			{Name: "CheckSpam", Kind: Bool, Default: "true", Aliases: []string{"CheckSpams"}, Doc: "Run the anti-spam check."},
			{Name: "SpamRateLimit", Kind: Enum, Enum: []string{"minimum", "standard"}, Default: "standard", Doc: "Intensity."},
			{Name: "SizeLimit", Kind: Int, Default: "1024", Min: 0, Max: 204800, Unit: "KB", Doc: "Limit."},
			{Name: "Senders", Kind: List, Comma: true, Default: "*@*", Doc: "Who | sends."},
			{Name: "BlockReply", Kind: String, Doc: "Reply."},
		}},
		{Name: "mailgw.group:*", Inherit: "mailgw.policy", Doc: "A group."},
	}
	want := "## [mailgw.policy]\n\n" +
		"The default group. This section is required.\n\n" +
		"| Parameter | Type | Default | Range | Meaning |\n" +
		"|---|---|---|---|---|\n" +
		"| CheckSpam | bool | `true` | — | Run the anti-spam check. Also accepted: CheckSpams. |\n" +
		"| SpamRateLimit | enum: minimum\\|standard | `standard` | — | Intensity. |\n" +
		"| SizeLimit | int | `1024` | 0–204800 KB | Limit. |\n" +
		"| Senders | list | `*@*` | — | Who \\| sends. |\n" +
		"| BlockReply | string | (empty) | — | Reply. |\n" +
		"\n## [mailgw.group:*]\n\n" +
		"A group. A parameter not set here is taken from [mailgw.policy].\n\n" +
		"| Parameter | Type | Default | Range | Meaning |\n" +
		"|---|---|---|---|---|\n"
	if got := Markdown(schema); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestINIErrorPosition(t *testing.T) {
	lines := []srcLine{{"[mailgw.policy]", Pos{"a.conf", 1}}, {"[broken", Pos{"b.conf", 7}}}
	if got := iniErrorPos("a.conf", errors.New("unclosed section: [broken\n"), lines); got.String() != "b.conf:7" {
		t.Errorf("position of a quoted line = %s", got)
	}
	if got := iniErrorPos("a.conf", errors.New("something else"), lines); got.String() != "a.conf" {
		t.Errorf("fallback position = %s", got)
	}
}
