// Command gen writes bayes.model.gz from corpus/ (go generate in package
// defaultdb, whose directory it runs in).
package main

import (
	"fmt"
	"os"

	"github.com/mailgw/mailgw/antispam/defaultdb"
)

func main() {
	m, err := defaultdb.Build(os.DirFS("corpus"))
	if err == nil {
		var gz []byte
		if gz, err = defaultdb.Encode(m); err == nil {
			err = os.WriteFile(defaultdb.ModelFile, gz, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "defaultdb/gen:", err)
		os.Exit(1)
	}
	t := m.Totals()
	fmt.Printf("%s: %d tokens from %d spam and %d ham messages\n", defaultdb.ModelFile, m.Len(), t.Spam, t.Ham)
}
