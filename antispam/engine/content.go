package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/mimetree"
)

// Bounds of content analysis: enough text for a verdict, never the whole
// of a huge message.
const (
	maxTextBytes = 256 << 10
	// maxPartText is how much of one part's text is analysed, as
	// SpamAssassin's body_part_scan_size (50 000 bytes): what makes a
	// message spam is near its start, and a long newsletter or log must
	// not cost its whole length in every content check.
	maxPartText     = 50000
	maxTokens       = 3000
	maxLinks        = 200
	minObfuscations = 3
	minHiddenChars  = 20
	// maxImages is the most images of one message that are decoded and
	// compared: each may cost a decoded bitmap of up to
	// imagehash.MaxPixels.
	maxImages = 8
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
// HTML part is where spam hides. A plain part that is an HTML document
// (startsHTML) is read as HTML too, as its sender meant it: its scripts
// and styles are not words of its text, and its links are links.
func extractContent(msg *mimetree.Message) *content {
	c := &content{}
	// The pieces are joined once at the end: a builder grown piece by
	// piece copies a large text several times.
	var pieces []string
	size := 0
	for _, o := range msg.Objects {
		if o.Kind != mimetree.KindLeaf || o.Disposition == "attachment" || size > maxTextBytes {
			continue
		}
		if o.MediaType != "text/plain" && o.MediaType != "text/html" {
			continue
		}
		piece := o.Text()
		if o.MediaType == "text/html" || startsHTML(piece) {
			h := parseHTML(piece)
			piece = h.visible
			c.links = append(c.links, h.links...)
			c.hidden += h.hidden
			c.obfusc += h.obfuscation
		}
		piece = headText(piece, maxPartText)
		pieces = append(pieces, piece)
		size += len(piece) + 1
	}
	if len(pieces) == 1 {
		c.text = pieces[0] // the common case: no copy
	} else {
		c.text = strings.Join(pieces, "\n")
	}
	c.links = append(c.links, textLinks(c.text)...)
	return c
}

// startsHTML reports whether a text opens as an HTML document: after
// white space and comments, a doctype or an html, head or body tag. Spam
// sent without a Content-Type (text/plain by RFC 2045 5.2) often is one.
func startsHTML(s string) bool {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		rest, ok := strings.CutPrefix(s, "<!--")
		if !ok {
			break
		}
		_, s, ok = strings.Cut(rest, "-->")
		if !ok {
			return false
		}
	}
	for _, open := range []string{"<!doctype html", "<html", "<head", "<body"} {
		if len(s) > len(open) && strings.EqualFold(s[:len(open)], open) && !tokenBytes[s[len(open)]] {
			return true
		}
	}
	return false
}

// headText is s cut to at most n bytes: at the last line break or space
// of the final 256 bytes, so that no word is cut in two, or else at the
// last character boundary.
func headText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	from := max(n-256, 0)
	if i := strings.LastIndexAny(s[from:n], " \t\r\n"); i >= 0 {
		return s[:from+i]
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // s[n] continues a character that began before it
	}
	return s[:n]
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
	if e.opts.Fuzzy != nil || e.opts.Terms != nil {
		text := sampleText(in.subject, c)
		if e.opts.Fuzzy != nil {
			e.checkFuzzy(v, text)
		}
		if e.opts.Terms != nil {
			e.checkTerms(v, text)
		}
	}
	if e.opts.Images != nil {
		e.checkImages(ctx, v, in.msg)
	}
}

// SampleText is the text of a message that the fuzzy check compares with
// its samples: the decoded Subject and the visible text of plain and HTML
// parts. mailgw sample signs the same text, so that a sample made from a
// message matches that message.
func SampleText(msg *mimetree.Message) string {
	return sampleText(mimetree.DecodeWords(msg.Header.Get("Subject")), extractContent(msg))
}

// sampleText is what Sign reads of subject and text; cutting the text
// first spares copying a large message's text only to ignore its end.
func sampleText(subject string, c *content) string {
	text := c.text
	if len(text) > fuzzy.MaxTextBytes {
		text = text[:fuzzy.MaxTextBytes]
	}
	return subject + "\n" + text
}

// ImageParts are the parts of a message that the image check looks at:
// every leaf that is not text, whatever its declared type, as spam often
// labels its images application/octet-stream. Which of them really are
// images the image decoder tells from their bytes.
func ImageParts(msg *mimetree.Message) []*mimetree.Object {
	var out []*mimetree.Object
	for _, o := range msg.Objects {
		if o.Kind == mimetree.KindLeaf && len(o.Content) > 0 && !strings.HasPrefix(o.MediaType, "text/") {
			out = append(out, o)
		}
	}
	return out
}

func (e *Engine) checkFuzzy(v *verdict, text string) {
	name, sim := e.opts.Fuzzy.Match(text)
	if name != "" && sim >= e.opts.Settings.FuzzyThreshold {
		v.add(antispam.RuleFuzzySample, fmt.Sprintf("%s %.0f%%", short(name), sim*100))
	}
}

// checkTerms fires SPAM_TERMS with the summed weight of the phrases
// found, up to TermsMaxWeight, naming the categories and their phrases.
func (e *Engine) checkTerms(v *verdict, text string) {
	hits := e.opts.Terms.Match(text)
	if len(hits) == 0 {
		return
	}
	var sum float64
	var reason []string
	for _, h := range hits {
		sum += h.Weight
		reason = append(reason, h.Category+": "+strings.Join(h.Phrases, ", "))
	}
	v.addScaled(antispam.RuleSpamTerms, min(sum, e.opts.Settings.TermsMaxWeight), short(strings.Join(reason, "; ")))
}

// checkImages compares the images of a message with the known ones and
// fires IMAGE_SAMPLE for the nearest within ImageMaxDistance. Decoding
// large images takes time, so it stops when ctx ends (ScanTimeout).
func (e *Engine) checkImages(ctx context.Context, v *verdict, msg *mimetree.Message) {
	tried, best, bestName := 0, -1, ""
	for _, o := range ImageParts(msg) {
		if tried == maxImages || ctx.Err() != nil {
			break
		}
		name, d, err := e.opts.Images.Match(o.Content)
		if errors.Is(err, imagehash.ErrFormat) {
			continue // not an image at all: no decoding cost
		}
		tried++
		if err != nil {
			e.log.Debug("anti-spam: image not compared", "part", o.Path, "error", err)
			continue
		}
		if name != "" && d <= e.opts.Settings.ImageMaxDistance && (best < 0 || d < best) {
			best, bestName = d, name
		}
	}
	if best >= 0 {
		v.add(antispam.RuleImageSample, fmt.Sprintf("%s distance %d", short(bestName), best))
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

// checkDigest asks the digest service about the message. A service that
// does not answer is a PYZOR_TEMPFAIL, never a clean answer.
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
