package decision

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	"github.com/mailgw/mailgw/mimetree"
)

// Plan is a Decision made concrete for one message: the header operations
// to perform in order and, when the body changes, the new body.
type Plan struct {
	HeaderMods  []Modification // HeaderAdd/HeaderChange/HeaderDelete only
	Body        []byte         // the complete new body; valid when BodyChanged
	BodyChanged bool
}

// Plan works out the header operations and the new body for m.
// Modifications of the body may require top-level header changes (a single
// part message whose only part was replaced gets a new Content-Type); those
// are added to HeaderMods after the decision's own header operations.
func (d *Decision) Plan(m *mimetree.Message) (Plan, error) {
	var p Plan
	var edits []mimetree.Edit
	for _, mod := range d.Modifications {
		switch mod.Op {
		case HeaderAdd, HeaderChange, HeaderDelete:
			p.HeaderMods = append(p.HeaderMods, mod)
		case PartRemove:
			edits = append(edits, mimetree.Edit{Op: mimetree.Remove, Path: mod.Path})
		case PartReplace:
			edits = append(edits, mimetree.Edit{Op: mimetree.Replace, Path: mod.Path,
				Header: replacementHeader(mod), Content: mod.Content})
		case BodyAppend:
			edits = append(edits, mimetree.Edit{Op: mimetree.AppendText, Text: mod.Text})
		default:
			return Plan{}, fmt.Errorf("decision: unknown modification %q", mod.Op)
		}
	}
	if len(edits) == 0 {
		return p, nil
	}
	body, top, err := m.RenderBody(edits)
	if err != nil {
		return Plan{}, fmt.Errorf("decision: rendering body: %w", err)
	}
	p.Body, p.BodyChanged = body, true
	p.HeaderMods = append(p.HeaderMods, mimeFieldMods(m, top)...)
	return p, nil
}

// mimeFieldMods makes the top-level MIME fields (MIME-Version, Content-*)
// exactly those of top, when the body edits changed them; top is empty
// otherwise.
func mimeFieldMods(m *mimetree.Message, top message.Header) []Modification {
	if top.Len() == 0 {
		return nil
	}
	var mods []Modification
	want := map[string]bool{}
	fields := top.Fields()
	for fields.Next() {
		want[strings.ToLower(fields.Key())] = true
		mods = append(mods, setHeader(m, fields.Key(), fields.Value())...)
	}
	seen := map[string]bool{}
	old := m.Header.Fields()
	for old.Next() {
		k := strings.ToLower(old.Key())
		if want[k] || seen[k] || (k != "mime-version" && !strings.HasPrefix(k, "content-")) {
			continue
		}
		seen[k] = true
		for i := len(m.Header.Values(k)); i >= 1; i-- {
			mods = append(mods, Modification{Op: HeaderDelete, Name: old.Key(), Index: i})
		}
	}
	return mods
}

// setHeader returns the operations that make name have exactly one field
// with value: change the first, delete any others (last first, so indexes
// stay valid under both sequential and original-index semantics).
func setHeader(m *mimetree.Message, name, value string) []Modification {
	n := len(m.Header.Values(name))
	if n == 0 {
		return []Modification{{Op: HeaderAdd, Name: name, Value: value}}
	}
	mods := []Modification{{Op: HeaderChange, Name: name, Index: 1, Value: value}}
	for i := n; i > 1; i-- {
		mods = append(mods, Modification{Op: HeaderDelete, Name: name, Index: i})
	}
	return mods
}

// headerSlack is room for the fields a Plan adds to the header.
const headerSlack = 1024

// Apply returns the complete resulting message.
func (p Plan) Apply(m *mimetree.Message) []byte {
	hb := parseHeaderBlock(m.Raw[:m.HeaderLen])
	for _, mod := range p.HeaderMods {
		hb.apply(mod)
	}
	var out bytes.Buffer
	// One allocation for the whole message: the header may grow by the
	// added fields, the body is usually copied as it is.
	body := len(m.Raw) - m.HeaderLen
	if p.BodyChanged {
		body = len(p.Body)
	}
	out.Grow(m.HeaderLen + headerSlack + body)
	hb.write(&out)
	if p.BodyChanged {
		out.Write(p.Body)
	} else {
		out.Write(m.Raw[m.HeaderLen:])
	}
	return out.Bytes()
}

// Apply plans and applies d to m in one step.
func (d *Decision) Apply(m *mimetree.Message) ([]byte, error) {
	p, err := d.Plan(m)
	if err != nil {
		return nil, err
	}
	return p.Apply(m), nil
}

func replacementHeader(mod Modification) message.Header {
	var h message.Header
	ct := mod.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	if mod.FileName != "" {
		h.SetContentDisposition("attachment", map[string]string{"filename": mod.FileName})
	}
	return h
}

// headerBlock is the top-level header as raw fields, so that untouched
// fields keep their exact bytes (folding, spacing, order).
type headerBlock struct {
	fields [][]byte // each with its line ending(s)
	tail   []byte   // the blank line ending the header, "" if absent
	eol    string
}

func parseHeaderBlock(raw []byte) *headerBlock {
	hb := &headerBlock{eol: "\n"}
	if bytes.Contains(raw, []byte("\r\n")) {
		hb.eol = "\r\n"
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		switch {
		case len(bytes.TrimRight(line, "\r\n")) == 0:
			hb.tail = append(append([]byte(nil), line...), raw...)
			return hb
		case (line[0] == ' ' || line[0] == '\t') && len(hb.fields) > 0:
			last := len(hb.fields) - 1
			hb.fields[last] = append(hb.fields[last], line...)
		default:
			hb.fields = append(hb.fields, append([]byte(nil), line...))
		}
	}
	return hb
}

func fieldName(f []byte) string {
	name, _, _ := bytes.Cut(f, []byte(":"))
	return strings.TrimSpace(string(name))
}

// find returns the position of the index-th (1-based) field called name.
func (hb *headerBlock) find(name string, index int) int {
	n := 0
	for i, f := range hb.fields {
		if strings.EqualFold(fieldName(f), name) {
			n++
			if n == index {
				return i
			}
		}
	}
	return -1
}

func (hb *headerBlock) format(name, value string) []byte {
	if hb.eol != Fold {
		value = strings.ReplaceAll(value, Fold, hb.eol)
	}
	return []byte(name + ": " + value + hb.eol)
}

// apply performs one header operation with milter semantics: changing a
// field that does not exist adds it, and a change to an empty value deletes.
func (hb *headerBlock) apply(mod Modification) {
	switch mod.Op {
	case HeaderAdd:
		hb.fields = append(hb.fields, hb.format(mod.Name, mod.Value))
	case HeaderChange, HeaderDelete:
		i := hb.find(mod.Name, mod.Index)
		switch {
		case i < 0 && mod.Op == HeaderChange && mod.Value != "":
			hb.fields = append(hb.fields, hb.format(mod.Name, mod.Value))
		case i < 0:
		case mod.Op == HeaderDelete || mod.Value == "":
			hb.fields = append(hb.fields[:i], hb.fields[i+1:]...)
		default:
			hb.fields[i] = hb.format(fieldName(hb.fields[i]), mod.Value)
		}
	}
}

func (hb *headerBlock) write(out *bytes.Buffer) {
	for _, f := range hb.fields {
		out.Write(f)
	}
	if len(hb.tail) == 0 {
		out.WriteString(hb.eol)
		return
	}
	out.Write(hb.tail)
}

// RawValue returns the unfolded raw value of the index-th (1-based) field
// called name in the top-level header of m, without decoding encoded
// words, so that a changed value keeps the original encoding.
func RawValue(m *mimetree.Message, name string, index int) (string, bool) {
	hb := parseHeaderBlock(m.Raw[:m.HeaderLen])
	i := hb.find(name, index)
	if i < 0 {
		return "", false
	}
	_, v, _ := bytes.Cut(hb.fields[i], []byte(":"))
	s := strings.NewReplacer("\r\n", "", "\n", "").Replace(string(v))
	return strings.TrimSpace(s), true
}
