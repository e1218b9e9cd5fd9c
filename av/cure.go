package av

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/mailgw/mailgw/policy"
)

// What can be cured (docs/antivirus.md repeats this):
//   - a zip archive whose infected objects are direct members: the archive
//     is rebuilt without them, the other members copied unchanged;
//   - an Office Open XML document (.docm, .xlsm, .pptm are zip files) whose
//     VBA macro part matched: the part is dropped together with the
//     relationships and content-type entry that name it, so the document
//     still opens, without macros.
//
// What cannot: an infected object that is not an archive, a member of an
// archive nested in another archive, any other archive format, and an
// object that an external backend (clamd, ICAP) called infected without
// saying which member. Those stay infected.
func (e *Engine) cure(ctx context.Context, name string, data []byte, infected [][]string, p *policy.Params) ([]byte, bool) {
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return nil, false
	}
	drop := map[string]bool{}
	for _, path := range infected {
		if len(path) != 2 {
			return nil, false
		}
		drop[path[1]] = true
	}
	out, err := rebuildZip(data, drop)
	if err != nil {
		return nil, false
	}
	// Trust the result only if a fresh scan, without cure, finds it clean.
	again := *p
	again.AVCure = false
	f, transient, err := e.scan(ctx, name, out, &again)
	if err != nil || transient || f.Status != policy.AVClean {
		return nil, false
	}
	return out, true
}

// rebuildZip copies every member of the zip in data except those in drop,
// without recompressing them, and removes OOXML references to the dropped
// parts.
func rebuildZip(data []byte, drop map[string]bool) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for name := range drop {
		drop[relsFor(name)] = true // the dropped part's own relationships
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		switch {
		case drop[f.Name]:
		case isOOXMLIndex(f.Name):
			if err := rewriteIndex(zw, f, drop); err != nil {
				return nil, err
			}
		default:
			if err := zw.Copy(f); err != nil {
				return nil, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// relsFor names the relationships part of an OOXML part:
// word/vbaProject.bin → word/_rels/vbaProject.bin.rels.
func relsFor(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

func isOOXMLIndex(name string) bool {
	return name == "[Content_Types].xml" || strings.HasSuffix(name, ".rels")
}

var (
	relationshipRE = regexp.MustCompile(`<Relationship\b[^>]*?/>`)
	overrideRE     = regexp.MustCompile(`<Override\b[^>]*?/>`)
	targetRE       = regexp.MustCompile(`\b(?:Target|PartName)="([^"]*)"`)
)

// rewriteIndex copies a [Content_Types].xml or .rels member without the
// entries that point at dropped parts.
func rewriteIndex(zw *zip.Writer, f *zip.File, drop map[string]bool) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	rc.Close()
	if err != nil {
		return err
	}
	base := path.Dir(path.Dir(f.Name)) // a .rels file's targets are relative to its part's folder
	strip := func(m []byte) []byte {
		t := targetRE.FindSubmatch(m)
		if t == nil {
			return m
		}
		target := string(t[1])
		if !strings.HasPrefix(target, "/") {
			target = path.Join(base, target)
		}
		if drop[strings.TrimPrefix(path.Clean(target), "/")] {
			return nil
		}
		return m
	}
	body = relationshipRE.ReplaceAllFunc(body, strip)
	body = overrideRE.ReplaceAllFunc(body, strip)
	hdr := f.FileHeader
	w, err := zw.CreateHeader(&hdr)
	if err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}
