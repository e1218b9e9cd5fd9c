// Package bench holds the benchmarks behind `make bench`: the `mailgw scan`
// pipeline with fake engines on 10 KB messages, the share of that time spent
// parsing, and a reference peer measured in the same run. The report command
// in bench/report turns their output into docs/benchmarks.md.
package bench

import (
	"io"
	"log/slog"
)

func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
