package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/mimetree"
)

// Bounds of content analysis: enough text for a verdict, never the whole
// of a huge message.
const (
	maxTextBytes    = 256 << 10
	maxTokens       = 3000
	maxLinks        = 200
	minObfuscations = 3
	minHiddenChars  = 20
)

// content is the text of a message as the content checks see it.
type content struct {
	text   string   // visible text of plain and HTML parts
	links  []string // link targets from HTML attributes and the text
	hidden int
	obfusc int
}

// extractContent reads the text of every plain and HTML part that is not
// an attachment. For a multipart/alternative with both, both are read: the
// HTML part is where spam hides.
func extractContent(msg *mimetree.Message) *content {
	c := &content{}
	var b strings.Builder
	for _, o := range msg.Objects {
		if o.Kind != mimetree.KindLeaf || o.Disposition == "attachment" || b.Len() > maxTextBytes {
			continue
		}
		switch o.MediaType {
		case "text/plain":
			b.WriteString(o.Text())
		case "text/html":
			h := parseHTML(o.Text())
			b.WriteString(h.visible)
			c.links = append(c.links, h.links...)
			c.hidden += h.hidden
			c.obfusc += h.obfuscation
		default:
			continue
		}
		b.WriteByte('\n')
	}
	c.text = b.String()
	c.links = append(c.links, textLinks(c.text)...)
	return c
}

// checkContent scores the text: HTML tricks and the Bayesian classifier.
func (e *Engine) checkContent(ctx context.Context, v *verdict, in *input) {
	c := extractContent(in.msg)
	in.text = c
	if c.hidden >= minHiddenChars {
		v.add(antispam.RuleHTMLHidden, fmt.Sprintf("%d characters hidden", c.hidden))
	}
	if c.obfusc >= minObfuscations {
		v.add(antispam.RuleHTMLObfuscated, fmt.Sprintf("%d broken-up words", c.obfusc))
	}
	checkTextSigns(v, in.subject, c)
	if e.opts.Bayes != nil {
		e.checkBayes(ctx, v, messageTokens(in.msg, in.subject, c))
	}
	if e.opts.Digest != nil {
		e.checkDigest(ctx, v, in)
	}
}

func (e *Engine) checkBayes(ctx context.Context, v *verdict, tokens []string) {
	prob, ok, err := e.opts.Bayes.Classify(ctx, tokens)
	switch {
	case err != nil:
		e.log.Warn("anti-spam: Bayes store failed, content not scored", "error", err)
		v.add(antispam.RuleBayesTempfail, short(err.Error()))
		return
	case !ok:
		return
	}
	reason := fmt.Sprintf("p=%.4f", prob)
	switch {
	case prob >= 0.999:
		v.add(antispam.RuleBayes999, reason)
	case prob >= 0.99:
		v.add(antispam.RuleBayes99, reason)
	case prob >= 0.90:
		v.add(antispam.RuleBayes90, reason)
	case prob >= 0.70:
		v.add(antispam.RuleBayes70, reason)
	case prob < 0.01:
		v.add(antispam.RuleBayes01, reason)
	case prob < 0.10:
		v.add(antispam.RuleBayes10, reason)
	case prob < 0.30:
		v.add(antispam.RuleBayes30, reason)
	}
}

func (e *Engine) checkDigest(ctx context.Context, v *verdict, in *input) {
	spam, ham, err := e.opts.Digest.CheckMessage(ctx, in.msg)
	switch {
	case err != nil:
		e.log.Warn("anti-spam: digest service failed", "error", err)
		v.add(antispam.RulePyzorTempfail, short(err.Error()))
	case spam-ham >= int64(e.opts.Settings.PyzorMinimum):
		v.add(antispam.RulePyzor, fmt.Sprintf("reported %d times", spam))
	}
}
