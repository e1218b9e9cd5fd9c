package config

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary text (and one -o override) to Parse: it must
// never panic, every error must be an ErrorList whose entries say where, and
// a configuration, even one returned with errors, must answer every getter.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"[mailgw.policy]\nCheckSpam=yes\nBlockMessage=av/infected,av/suspicious,\nav/protected\n",
		"[mailgw.group:Sales]\nSenders=\nSenders=*@x\n[mailgw.policy]\nSizeLimit=99\n",
		"CheckSpam=1\n[bogus]\n[mailgw.policy\n!include nowhere\nIncludeByName=file:nothing\n",
		"[mailgw.policy]\nQuarantinePath=`x\n\"k\"=v\n-=1\n[DEFAULT]\na=b\n[a::b]\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), "mailgw.policy.CheckSpam=no")
	}
	f.Fuzz(func(t *testing.T, data []byte, override string) {
		c, err := Parse("fuzz.conf", data, testSchema(), Options{Overrides: []string{override}})
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.Pos.File == "" {
					t.Fatalf("error without a file: %q", e.Error())
				}
			}
			if c == nil {
				return
			}
			// A Config returned with errors holds the valid values only;
			// it must answer every getter all the same.
		}
		for _, s := range c.Sections() {
			ss, ok := c.Schema().Lookup(s.Name)
			if !ok {
				t.Fatalf("section %q is not in the schema", s.Name)
			}
			for _, p := range ss.Params {
				c.Bool(s.Name, p.Name)
				c.Int(s.Name, p.Name)
				c.String(s.Name, p.Name)
				for _, v := range c.Values(s.Name, p.Name) {
					if v.Pos.File == "" {
						t.Fatalf("value %q of %s without a file", v.Text, p.Name)
					}
				}
			}
		}
	})
}
