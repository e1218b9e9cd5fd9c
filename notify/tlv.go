package notify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes of mailgw-tlv (see the package documentation).
const (
	TLVOK         = 0 // every template is valid
	TLVInvalid    = 1 // at least one template has a problem
	TLVUsage      = 2 // bad command line
	TLVUnreadable = 3 // at least one file could not be read
)

// TLVMain is mailgw-tlv: it checks each template file named in args as
// Load would, printing "file:line: message" for every problem to stderr
// and nothing for a valid file (with -v, "file: OK" to stdout). The kind
// of a file is taken from --kind, else from its name (notify*,
// placeholder*, dsn*, disclaimer*); a file of unknown kind may use every
// variable. It returns the exit code; an unreadable file outranks an
// invalid one, since nothing can be said about its content.
func TLVMain(args []string, stdout, stderr io.Writer) int {
	flags := pflag.NewFlagSet("mailgw-tlv", pflag.ContinueOnError)
	flags.SetOutput(io.Discard) // errors and usage are printed below, help to stdout
	verbose := flags.BoolP("verbose", "v", false, `print "FILE: OK" for each valid template`)
	kind := flags.StringP("kind", "k", "", "check every FILE as this kind: notify, placeholder, dsn or disclaimer (default: from the file name)")
	err := flags.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		tlvUsage(stdout, flags)
		return TLVOK
	}
	if err == nil {
		err = checkKindFlag(*kind)
	}
	if err == nil && flags.NArg() == 0 {
		err = errors.New("no TEMPLATE given")
	}
	if err != nil {
		fmt.Fprintln(stderr, "mailgw-tlv:", err)
		tlvUsage(stderr, flags)
		return TLVUsage
	}
	code := TLVOK
	for _, path := range flags.Args() {
		code = max(code, checkFile(path, Kind(*kind), *verbose, stdout, stderr))
	}
	return code
}

func tlvUsage(w io.Writer, flags *pflag.FlagSet) {
	fmt.Fprintln(w, "usage: mailgw-tlv [-v] [--kind KIND] TEMPLATE...")
	fmt.Fprint(w, flags.FlagUsages())
}

func checkKindFlag(k string) error {
	if k == "" {
		return nil
	}
	for _, known := range Kinds() {
		if Kind(k) == known {
			return nil
		}
	}
	return fmt.Errorf("unknown --kind %q (want notify, placeholder, dsn or disclaimer)", k)
}

// checkFile checks one file and returns its exit code.
func checkFile(path string, kind Kind, verbose bool, stdout, stderr io.Writer) int {
	if kind == "" {
		kind = kindFromName(path)
	}
	text, err := readTemplate(path)
	if err != nil {
		fmt.Fprintf(stderr, "%s: cannot read: %v\n", path, unwrapPath(err))
		return TLVUnreadable
	}
	if _, err := Parse(kind, path, text); err != nil {
		for _, e := range asErrorList(err) {
			fmt.Fprintln(stderr, e.Error())
		}
		return TLVInvalid
	}
	if verbose {
		fmt.Fprintf(stdout, "%s: OK\n", path)
	}
	return TLVOK
}

// kindFromName guesses a kind from a file name like "dsn.tmpl" or
// "notify-de.tmpl"; "" when the name does not tell.
func kindFromName(path string) Kind {
	base := strings.ToLower(filepath.Base(path))
	for _, k := range Kinds() {
		if strings.HasPrefix(base, string(k)) {
			return k
		}
	}
	return ""
}

// unwrapPath drops the path from an *os.PathError, which the message
// already starts with.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
