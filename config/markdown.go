package config

import (
	"fmt"
	"strings"
)

// Markdown documents a schema: for each section a "## [name]" heading, its
// Doc, then a table of its parameters. docs/configuration.md is made of it.
func Markdown(schema Schema) string {
	var b strings.Builder
	for i := range schema {
		if i > 0 {
			b.WriteString("\n")
		}
		writeSection(&b, &schema[i])
	}
	return b.String()
}

func writeSection(b *strings.Builder, s *SectionSchema) {
	fmt.Fprintf(b, "## [%s]\n\n", s.Name)
	var notes []string
	if s.Doc != "" {
		notes = append(notes, s.Doc)
	}
	if s.Required {
		notes = append(notes, "This section is required.")
	}
	if s.Inherit != "" {
		notes = append(notes, fmt.Sprintf("A parameter not set here is taken from [%s].", s.Inherit))
	}
	if len(notes) > 0 {
		b.WriteString(strings.Join(notes, " ") + "\n\n")
	}
	b.WriteString("| Parameter | Type | Default | Range | Meaning |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for i := range s.Params {
		p := &s.Params[i]
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n",
			cell(p.Name), cell(typeText(p)), defaultText(p), cell(rangeCell(p)), cell(meaning(p)))
	}
}

func typeText(p *Param) string {
	if p.Kind == Enum {
		return "enum: " + strings.Join(p.Enum, "|")
	}
	return p.Kind.String()
}

// defaultText shows a default as code, so that masks such as *@* are not
// read as emphasis.
func defaultText(p *Param) string {
	if p.Default == "" {
		return "(empty)"
	}
	if strings.Contains(p.Default, "`") {
		return cell("`` " + p.Default + " ``")
	}
	return cell("`" + p.Default + "`")
}

func rangeCell(p *Param) string {
	if p.Kind == Int && p.Max > p.Min {
		return rangeText(p)
	}
	return "—"
}

func meaning(p *Param) string {
	m := p.Doc
	if len(p.Aliases) > 0 {
		m = strings.TrimSpace(m + " Also accepted: " + strings.Join(p.Aliases, ", ") + ".")
	}
	return m
}

// cell escapes text for a table cell: a "|" would end the cell and a
// newline the row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
