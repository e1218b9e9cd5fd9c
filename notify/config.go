package notify

import (
	"path/filepath"

	"github.com/mailgw/mailgw/config"
)

// Section is the configuration section owned by this package.
const Section = "mailgw.templates"

// Settings is [mailgw.templates]: which files replace built-in templates.
type Settings struct {
	// Files maps a kind to the file replacing its built-in template,
	// with where the configuration named it, so that Load can report an
	// unreadable file at that line. Kinds not in the map use the
	// built-in text.
	Files map[Kind]config.Value
}

// kindParam pairs a kind with the parameter naming its file.
type kindParam struct {
	kind Kind
	name string
	doc  string
}

// params lists the parameters of [mailgw.templates], one per kind.
func params() []kindParam {
	return []kindParam{
		{KindNotify, "NotifyTemplate", "the body of notices to the administrator, recipients and senders (NotifyAdmin, NotifyRecipient, NotifySender)"},
		{KindPlaceholder, "PlaceholderTemplate", "the text that replaces an object under the placeholder action"},
		{KindDSN, "DSNTemplate", "the human-readable part of delivery status notifications (RFC 3464)"},
		{KindDisclaimer, "DisclaimerTemplate", "the informational text appended to messages"},
	}
}

// paramName is the parameter naming the file of kind k.
func paramName(k Kind) string {
	for _, p := range params() {
		if p.kind == k {
			return p.name
		}
	}
	return string(k)
}

// Schema describes [mailgw.templates].
func Schema() []config.SectionSchema {
	s := config.SectionSchema{Name: Section,
		Doc: "Template files that replace the built-in texts of notices, placeholders, DSNs and disclaimers. " +
			"Templates use Go text/template syntax with the variables and functions listed in the notify package documentation; " +
			"check a file with `mailgw-tlv FILE` before using it. Every template is parsed and test-run when the configuration is loaded."}
	for _, p := range params() {
		s.Params = append(s.Params, config.Param{Name: p.name, Kind: config.String,
			Doc: "Absolute path of the template for " + p.doc + "; empty uses the built-in template."})
	}
	return []config.SectionSchema{s}
}

// FromConfig reads [mailgw.templates]. It does not open the files: Load
// does, so that checking a configuration and loading templates fail at
// the same points.
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	var errs config.ErrorList
	s := Settings{Files: map[Kind]config.Value{}}
	for _, p := range params() {
		vals := c.List(Section, p.name)
		if len(vals) == 0 || vals[len(vals)-1].Text == "" {
			continue
		}
		v := vals[len(vals)-1]
		if !filepath.IsAbs(v.Text) {
			errs.Add(v.Pos, "%s must be an absolute path, not %q", p.name, v.Text)
			continue
		}
		s.Files[p.kind] = v
	}
	return s, errs
}
