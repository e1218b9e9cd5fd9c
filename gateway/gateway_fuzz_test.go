package gateway

import (
	"errors"
	"testing"

	"github.com/mailgw/mailgw/config"
)

// FuzzParse loads arbitrary text through the whole configuration language:
// decoding a Config that came back with errors (its bad values dropped)
// must never panic, and every problem must come back as a positioned
// ErrorList.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[mailgw.policy]\nCheckAV=perhaps\nActionInfected=cure\n[mailgw.group:a]\nSenders=ip 999.1.1.1\n",
		"[mailgw.group:x]\nRecipients=\n[mailgw.access]\nRelayRule=allow from nowhere\n",
		"[mailgw.milter]\nListenOn=inet:x\nSocketOwner=nobody:nogroup\n[mailgw.limits]\nIncomingSessions=-1\n",
		"[mailgw.forward]\nForwardRoute=*@x [\n[mailgw.antivirus]\nEngines=clamd,nope\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse("fuzz.conf", data, config.Options{})
		if err == nil {
			if g == nil {
				t.Fatal("no Gateway and no error")
			}
			return
		}
		var list config.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
		}
	})
}
