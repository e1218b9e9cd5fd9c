package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/mimetree"
)

// runSample is `mailgw sample --add [--config F] [--fuzzy-file F]
// [--image-file F] PATH...`: it appends the fuzzy signature of each
// message to a FuzzySamples file and the hash of each attached image to
// an ImageSamples file (by default the last path of each in
// [mailgw.antispam]), skipping what the file already holds.
func runSample(args []string, stdout, stderr io.Writer) int {
	var cf configFlags
	var fuzzyFile, imageFile string
	var add bool
	fs := pflag.NewFlagSet("sample", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	cf.register(fs)
	fs.BoolVar(&add, "add", false, "add the messages as spam samples")
	fs.StringVar(&fuzzyFile, "fuzzy-file", "", "file of text samples (default: the last path of FuzzySamples)")
	fs.StringVar(&imageFile, "image-file", "", "file of image samples (default: the last path of ImageSamples)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "mailgw sample:", err)
		return exitUsage
	}
	if !add || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: mailgw sample --add [--config F] [--fuzzy-file F] [--image-file F] PATH...")
		return exitUsage
	}
	gw, err := cf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	if fuzzyFile == "" {
		fuzzyFile = lastPath(gw.AntiSpam.FuzzySamples)
	}
	if imageFile == "" {
		imageFile = lastPath(gw.AntiSpam.ImageSamples)
	}
	files, err := collectFiles(fs.Args())
	if err == nil {
		err = addSamples(files, fuzzyFile, imageFile, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mailgw sample:", err)
		return exitFailed
	}
	return exitOK
}

// lastPath is the last value of FuzzySamples or ImageSamples that is a
// file, "" when there is none.
func lastPath(vals []config.Value) string {
	for i := len(vals) - 1; i >= 0; i-- {
		if vals[i].Text != antispam.Builtin {
			return vals[i].Text
		}
	}
	return ""
}

// sampleLines collects the new lines of one sample file.
type sampleLines struct {
	path  string
	have  map[string]bool // values already in the file or added
	lines []string
}

func openSampleLines(path string, values func([]byte) ([]string, error)) (*sampleLines, error) {
	s := &sampleLines{path: path, have: map[string]bool{}}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	vals, err := values(data)
	for _, v := range vals {
		s.have[v] = true
	}
	return s, err
}

// add keeps a sample whose value the file does not hold yet.
func (s *sampleLines) add(line, value string) {
	if !s.have[value] {
		s.have[value] = true
		s.lines = append(s.lines, line)
	}
}

// write appends the new lines; a path of "" with lines to write is an
// error, as there is no file to write them to.
func (s *sampleLines) write(what, param, flag string) error {
	if len(s.lines) == 0 {
		return nil
	}
	if s.path == "" {
		return fmt.Errorf("no file for %d %s: set [%s] %s to a file or give --%s", len(s.lines), what, antispam.Section, param, flag)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = io.WriteString(f, strings.Join(s.lines, "\n")+"\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// addSamples signs every message of files and appends what is new to the
// two sample files.
func addSamples(files []string, fuzzyFile, imageFile string, stdout, stderr io.Writer) error {
	text, err := openSampleLines(fuzzyFile, func(data []byte) ([]string, error) {
		c, err := fuzzy.Parse(fuzzyFile, data)
		var vals []string
		for i := 0; err == nil && i < c.Len(); i++ {
			vals = append(vals, c.Sample(i).Sig.String())
		}
		return vals, err
	})
	if err != nil {
		return err
	}
	images, err := openSampleLines(imageFile, func(data []byte) ([]string, error) {
		l, err := imagehash.Parse(imageFile, data)
		var vals []string
		for i := 0; err == nil && i < l.Len(); i++ {
			vals = append(vals, l.Entry(i).Hash.String())
		}
		return vals, err
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		msg := mimetree.Parse(raw, mimetree.Limits{})
		name := sampleName(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
		n := len(text.lines) + len(images.lines)
		if sig, err := fuzzy.Sign(engine.SampleText(msg)); err == nil {
			text.add(fuzzy.Line(fuzzy.Sample{Name: name, Sig: sig}), sig.String())
		}
		for _, o := range engine.ImageParts(msg) {
			if h, _, err := imagehash.Of(o.Content); err == nil {
				e := imagehash.Entry{Name: sampleName(name + "/" + partName(o)), Hash: h}
				images.add(imagehash.Line(e), h.String())
			}
		}
		if len(text.lines)+len(images.lines) == n {
			fmt.Fprintf(stderr, "%s: nothing new (a text too short, no image, or samples already known)\n", f)
		}
	}
	if err := text.write("text samples", "FuzzySamples", "fuzzy-file"); err != nil {
		return err
	}
	if err := images.write("image samples", "ImageSamples", "image-file"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %d text samples to %s and %d image samples to %s\n",
		len(text.lines), orNone(fuzzyFile), len(images.lines), orNone(imageFile))
	return nil
}

// partName names an image by its file name, else by its part path.
func partName(o *mimetree.Object) string {
	if o.Name != "" {
		return o.Name
	}
	return "part-" + o.Path
}

// sampleName makes a file name into a sample name (samplefile's rules):
// control characters become _, and it is cut to the longest name allowed.
func sampleName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(s, "_"))
	s = strings.TrimLeft(s, "# ")
	for len(s) > 200 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "" {
		s = "sample"
	}
	return s
}

func orNone(path string) string {
	if path == "" {
		return "(none)"
	}
	return path
}
