package engine

import (
	"bytes"

	"github.com/mailgw/mailgw/antispam"
)

// gtubeMarker is the invariant part of the GTUBE test string (the Generic
// Test for Unsolicited Bulk Email): any message that holds the whole
// string is spam by convention, so that administrators can test the
// anti-spam path end to end the way EICAR tests anti-virus. The marker is
// split so that this source file itself is not a GTUBE message.
const (
	gtubeHead   = "XJS*C4JDBQADN1.NSBN3*2IDNEN*"
	gtubeAnchor = "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL"
	gtubeTail   = "*C.34X"
	gtubeMarker = gtubeHead + gtubeAnchor + gtubeTail
)

// checkGTUBE looks for the string in the raw message body and in the
// decoded text of every leaf (it may arrive base64-encoded).
func checkGTUBE(v *verdict, in *input) {
	found := hasGTUBE(in.msg.Raw)
	for _, o := range in.msg.Objects {
		if found {
			break
		}
		found = hasGTUBE(o.Content)
	}
	if found {
		v.add(antispam.RuleGTUBE, "GTUBE test string")
	}
}

// hasGTUBE reports whether b holds gtubeMarker. It looks for the anchor
// first: the whole marker is longer than the patterns bytes.Index finds
// with vector instructions, and on text of one repeated letter (what
// smtp-source sends) the fallback cost a third of the anti-spam time.
func hasGTUBE(b []byte) bool {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(gtubeAnchor))
		if i < 0 {
			return false
		}
		start := off + i - len(gtubeHead)
		if start >= 0 && bytes.HasPrefix(b[start:], []byte(gtubeMarker)) {
			return true
		}
		off += i + 1
	}
}
