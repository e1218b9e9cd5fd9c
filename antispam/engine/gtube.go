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
const gtubeMarker = "XJS*C4JDBQADN1.NSBN3*2IDNEN*" + "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// checkGTUBE looks for the string in the raw message body and in the
// decoded text of every leaf (it may arrive base64-encoded).
func checkGTUBE(v *verdict, in *input) {
	marker := []byte(gtubeMarker)
	found := bytes.Contains(in.msg.Raw, marker)
	for _, o := range in.msg.Objects {
		if found {
			break
		}
		found = bytes.Contains(o.Content, marker)
	}
	if found {
		v.add(antispam.RuleGTUBE, "GTUBE test string")
	}
}
