package engine

import (
	"fmt"

	"github.com/mailgw/mailgw/antispam"
)

// minObsceneWords is how many different obscene words make the text
// obscene: one may be a quotation or a name, several are the tone.
const minObsceneWords = 2

// checkObscene reports OBSCENE_TEXT when the subject and the visible text
// use at least minObsceneWords different words of Options.Obscene.
func (e *Engine) checkObscene(v *verdict, in *input) {
	if in.text == nil {
		return
	}
	found := map[string]bool{}
	var buf []byte
	eachWord(in.subject+"\n"+in.text.text, func(w string) bool {
		buf = appendLower(buf[:0], w)
		if e.opts.Obscene[string(buf)] {
			found[string(buf)] = true
		}
		return len(found) < minObsceneWords
	})
	if len(found) >= minObsceneWords {
		v.add(antispam.RuleObscene, fmt.Sprintf("%d or more obscene words", len(found)))
	}
}
