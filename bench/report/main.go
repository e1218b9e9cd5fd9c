// Command report runs the benchmarks of package bench and writes their
// figures to a Markdown file (docs/benchmarks.md by `make bench`). Speed is
// reported as a ratio to a peer measured in the same run, because absolute
// times on shared machines are noise.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mailgw/mailgw/bench"
	"github.com/mailgw/mailgw/bench/benchproc"
)

type result struct {
	nsPerOp, bytesPerOp, allocsPerOp, mbPerS, rssKB, msgsPerS, rssMB []float64
	// other holds the values of any other unit a benchmark reports.
	other map[string][]float64
}

func main() {
	out := flag.String("out", "docs/benchmarks.md", "Markdown file to write")
	count := flag.Int("count", 5, "runs of each benchmark (the median is reported)")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	only := flag.String("only", "all", "which section to run: scan, av, milter, relay, accuracy or all; the others are kept from the file")
	corpus := flag.String("corpus", defaultCorpusCache(), "cache directory of the anti-spam corpus (never inside the repository)")
	validate := flag.Bool("validate", false, "accuracy only: cross-validate on the training split (5 folds: train on 4/5, test on the rest), print the figures and write nothing")
	misses := flag.String("misses", "", "accuracy only: write mailgw's wrong answers with their rules to this file")
	peers := flag.Bool("peers", true, "accuracy only: also run bogofilter and SpamAssassin")
	flag.Parse()
	if *validate {
		if err := validateRun(*corpus, *misses); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			os.Exit(1)
		}
		return
	}
	sections := map[string]string{}
	var err error
	if *only == "all" || *only == "scan" {
		sections["scan"], err = scanSection(*count, *benchtime)
	}
	if err == nil && (*only == "all" || *only == "av") {
		sections["av"], err = avSection(*count, *benchtime)
	}
	if err == nil && (*only == "all" || *only == "milter") {
		sections["milter"], err = milterSection(*count)
	}
	if err == nil && (*only == "all" || *only == "relay") {
		sections["relay"], err = relaySection(*count)
	}
	if err == nil && (*only == "all" || *only == "accuracy") {
		sections["accuracy"], err = accuracySection(*corpus, *misses, *peers)
	}
	if err == nil && len(sections) == 0 {
		err = fmt.Errorf("-only %q: want scan, av, milter, relay, accuracy or all", *only)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	old, _ := os.ReadFile(*out)
	doc := merge(string(old), sections)
	if err := os.WriteFile(*out, []byte(doc), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	fmt.Print(doc)
}

// merge puts the new sections into the document, keeping the sections
// that were not run this time.
func merge(old string, sections map[string]string) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\nWritten by `make bench` (all sections), `make bench-av`, `make bench-milter`, `make bench-relay` or `make bench-accuracy`; each section says of how many runs its figures are the median, as the sections are written at different times.\n")
	for _, name := range []string{"scan", "av", "milter", "relay", "accuracy"} {
		text, ok := sections[name]
		if !ok {
			text = between(old, "<!-- section:"+name+" -->\n", "<!-- /section:"+name+" -->\n")
		}
		if text != "" {
			fmt.Fprintf(&b, "\n<!-- section:%s -->\n%s<!-- /section:%s -->\n", name, text, name)
		}
	}
	return b.String()
}

// measured is a section's first line: when, where and over how many
// runs (rounds) its figures were taken.
func measured(count int) string {
	return fmt.Sprintf("Measured on %s; median of %d runs.", machine(), count)
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	text, _, _ := strings.Cut(rest, end)
	return text
}

func machine() string {
	return fmt.Sprintf("%s, %s, %s/%s, %d CPUs", time.Now().UTC().Format("2006-01-02"), runtime.Version(),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

func runBench(pattern string, count int, benchtime string) (map[string]*result, error) {
	return runBenchIn("./bench", pattern, count, benchtime)
}

func runBenchIn(pkg, pattern string, count int, benchtime string) (map[string]*result, error) {
	raw, err := benchOutput(pkg, pattern, count, benchtime)
	if err != nil {
		return nil, err
	}
	return parse(raw), nil
}

// runRounds runs every case of a whole-load benchmark once per round, in
// a go test of its own: -count would repeat each case before the next,
// while a round measures all cases close together in time, so that value
// i of every case comes from round i (see roundRatio).
func runRounds(pkg, pattern string, rounds int) (map[string]*result, error) {
	var all []byte
	for range rounds {
		raw, err := benchOutput(pkg, pattern, 1, "1x")
		if err != nil {
			return nil, err
		}
		all = append(all, raw...)
	}
	return parse(all), nil
}

func benchOutput(pkg, pattern string, count int, benchtime string) ([]byte, error) {
	cmd := exec.Command("go", "test", "-run=^$", "-bench="+pattern, "-benchmem",
		"-count="+strconv.Itoa(count), "-benchtime="+benchtime, "-timeout=60m", pkg)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s: %v\n%s", pattern, err, raw)
	}
	return raw, nil
}

func need(r map[string]*result, names ...string) error {
	for _, name := range names {
		if r[name] == nil || len(r[name].nsPerOp) == 0 {
			return fmt.Errorf("benchmark %s missing from the output", name)
		}
	}
	return nil
}

// parse reads lines such as
// "BenchmarkScan-2  20000  61234 ns/op  167.2 MB/s  52011 B/op  612 allocs/op".
func parse(raw []byte) map[string]*result {
	res := map[string]*result{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		r := res[name]
		if r == nil {
			r = &result{}
			res[name] = r
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				r.nsPerOp = append(r.nsPerOp, v)
			case "B/op":
				r.bytesPerOp = append(r.bytesPerOp, v)
			case "allocs/op":
				r.allocsPerOp = append(r.allocsPerOp, v)
			case "MB/s":
				r.mbPerS = append(r.mbPerS, v)
			case "peak-RSS-KB":
				r.rssKB = append(r.rssKB, v)
			case "msgs/s":
				r.msgsPerS = append(r.msgsPerS, v)
			case "rss-MB":
				r.rssMB = append(r.rssMB, v)
			default:
				if r.other == nil {
					r.other = map[string][]float64{}
				}
				r.other[f[i+1]] = append(r.other[f[i+1]], v)
			}
		}
	}
	return res
}

// roundRatio is the median over rounds of v[i]/base[i] (see runRounds):
// the two figures of a round met the same machine.
func roundRatio(v, base []float64) float64 { return median(roundRatios(v, base)) }

// roundRatios are the rounds' ratios v[i]/base[i].
func roundRatios(v, base []float64) []float64 {
	var r []float64
	for i := range min(len(v), len(base)) {
		r = append(r, v[i]/base[i])
	}
	return r
}

// spread is the median of the rounds' ratios with their lowest and
// highest: how far one round can be from another on this machine.
func spread(v, base []float64) string {
	r := roundRatios(v, base)
	if len(r) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", median(r), slices.Min(r), slices.Max(r))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// cliRun is one timed `mailgw scan --json` over a directory of messages.
type cliRun struct {
	files   int
	elapsed time.Duration
}

// timeCLI builds mailgw and times `mailgw scan --json` over n generated
// messages with the embedded default configuration (no engines: the cost
// of the program itself, reading, parsing, deciding and printing).
func timeCLI(n int) (cliRun, error) {
	dir, err := os.MkdirTemp("", "mailgw-bench-")
	if err != nil {
		return cliRun{}, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "mailgw")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/mailgw").CombinedOutput(); err != nil {
		return cliRun{}, fmt.Errorf("build: %v\n%s", err, out)
	}
	msgs := filepath.Join(dir, "msgs")
	if err := os.Mkdir(msgs, 0o755); err != nil {
		return cliRun{}, err
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(msgs, fmt.Sprintf("%05d.eml", i)), bench.Message10K(i), 0o644); err != nil {
			return cliRun{}, err
		}
	}
	start := time.Now()
	cmd := exec.Command(bin, "scan", "--json", msgs)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return cliRun{}, fmt.Errorf("mailgw scan: %v", err)
	}
	return cliRun{files: n, elapsed: time.Since(start)}, nil
}

// scanSection measures `mailgw scan`: the pipeline with fake engines, its
// parse, the go-message peer, and the command over 3000 files.
func scanSection(count int, benchtime string) (string, error) {
	r, err := runBench("^Benchmark(PeerGoMessage|Parse|Scan)$", count, benchtime)
	if err == nil {
		err = need(r, "PeerGoMessage", "Parse", "Scan")
	}
	if err != nil {
		return "", err
	}
	cli, err := timeCLI(3000)
	if err != nil {
		return "", err
	}
	peer, parse, scan := median(r["PeerGoMessage"].nsPerOp), median(r["Parse"].nsPerOp), median(r["Scan"].nsPerOp)
	var b strings.Builder
	fmt.Fprintf(&b, "## mailgw scan (`make bench`)\n\n%s\n\n", measured(count))
	b.WriteString("Input: 64 generated office-style messages of about 10 KB (text and HTML alternatives, one base64 PDF).\n")
	b.WriteString("`Scan` is what `mailgw scan` does per message with the fake engines of internal/fake and the embedded default\n")
	b.WriteString("configuration: parse once, split into group copies, anti-spam, filter, anti-virus, decide, render the result.\n")
	b.WriteString("`PeerGoMessage` is go-message alone reading every part: the floor for any MIME-aware filter, measured in the same run.\n\n")
	b.WriteString("| benchmark | ns/message | messages/s (one core) | B/op | allocs/op |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, name := range []string{"PeerGoMessage", "Parse", "Scan"} {
		x := r[name]
		ns := median(x.nsPerOp)
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %.0f |\n", name, ns, 1e9/ns, median(x.bytesPerOp), median(x.allocsPerOp))
	}
	fmt.Fprintf(&b, "\n| ratio | value |\n| --- | ---: |\n")
	fmt.Fprintf(&b, "| Parse / PeerGoMessage | %.2f |\n", parse/peer)
	fmt.Fprintf(&b, "| Scan / PeerGoMessage | %.2f |\n", scan/peer)
	fmt.Fprintf(&b, "| share of Scan spent parsing (Parse / Scan) | %.0f%% |\n", 100*parse/scan)
	perMsg := float64(cli.elapsed.Nanoseconds()) / float64(cli.files)
	fmt.Fprintf(&b, "\n`mailgw scan --json DIR` over %d such files (embedded default: the anti-spam engine, with no client address and no links to look up in DNS, and the built-in anti-virus engine): %.2f s, %.0f messages/s;\n",
		cli.files, cli.elapsed.Seconds(), float64(cli.files)/cli.elapsed.Seconds())
	fmt.Fprintf(&b, "that is %.1f × PeerGoMessage per message, reading files and printing JSON included.\n", perMsg/peer)
	b.WriteString("\nTarget: `mailgw scan` gets through a few thousand messages in one process in seconds.\n")
	return b.String(), nil
}

// avSection compares the built-in anti-virus engine with clamd INSTREAM on
// the same attachments and the same signatures, in the same run.
func avSection(count int, benchtime string) (string, error) {
	r, err := runBench("^BenchmarkAV", count, benchtime)
	if err == nil {
		err = need(r, "AVBuiltin", "AVClamd")
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Anti-virus engines (`make bench-av`)\n\n%s\n\n", measured(count))
	b.WriteString("16 attachments of 64 KB to 1 MB (document-like bytes), half of them inside zip archives; both engines load the same\n")
	b.WriteString("3000 generated body signatures plus the test set, open the archives, find nothing. clamd is Debian's clamd, fed over\n")
	b.WriteString("INSTREAM on its Unix socket by mailgw's client, one object at a time; the built-in engine runs in the benchmark process.\n\n")
	b.WriteString("Each attachment stands for one message, so messages/s is attachments scanned per second.\n\n")
	b.WriteString("| engine | MB/s | messages/s | peak RSS (MB) |\n| --- | ---: | ---: | ---: |\n")
	for _, name := range []string{"AVBuiltin", "AVClamd"} {
		x := r[name]
		fmt.Fprintf(&b, "| %s | %.1f | %.0f | %.0f |\n", name, median(x.mbPerS), 1e9/median(x.nsPerOp), median(x.rssKB)/1024)
	}
	ratio := median(r["AVBuiltin"].mbPerS) / median(r["AVClamd"].mbPerS)
	fmt.Fprintf(&b, "\nBuilt-in / clamd throughput: %.2f (target: at least 1.00).\n", ratio)
	b.WriteString("The built-in RSS is the whole benchmark process (Go runtime, test data and signatures included).\n")
	return b.String(), nil
}

// milterSection compares Postfix with mailgw-milter against Postfix alone,
// a null milter and rspamd's milter proxy, in the same run (package
// bench/milterbench). Each figure is the median of count rounds, each
// round one whole load per case; a ratio is the median of the rounds'
// ratios, so that a machine that slows down or speeds up between rounds
// moves both sides of a ratio alike.
func milterSection(count int) (string, error) {
	r, err := runRounds("./bench/milterbench", "^BenchmarkMilter$", count)
	if err != nil {
		return "", err
	}
	cases := []string{"postfix", "rspamd", "null", "mailgw"}
	var b strings.Builder
	fmt.Fprintf(&b, "## mailgw-milter in Postfix (`make bench-milter`)\n\n%s\n\n", measured(count))
	fmt.Fprintf(&b, "Postfix 3.7 from Debian on loopback, loaded by its smtp-source: %d messages per size over %d sessions, several\n",
		benchproc.Messages, benchproc.Sessions)
	fmt.Fprintf(&b, "messages per session, timed after %d messages that warm each case up; Postfix discards what it accepts, so the\n",
		benchproc.WarmUp)
	b.WriteString("receiving side, where a milter sits, is what is measured. `null` is a go-milter milter that reads every stage and\n")
	b.WriteString("accepts: the ceiling of any milter speaking go-milter's protocol version 2, a reply to every event. `rspamd` is\n")
	b.WriteString("Debian's rspamd 3.4 proxy worker in milter mode scanning by itself, with every network module off. `mailgw` is the\n")
	b.WriteString("mailgw-milter binary on the default policy with anti-spam (no DNS) and the built-in anti-virus engine; it takes\n")
	b.WriteString("header lines, body chunks and, with no access rules, the envelope stages without a reply each (protocol\n")
	b.WriteString("version 6, which Postfix offers), so a message waits for it once, at its end. RSS is\n")
	b.WriteString("the peak (VmHWM) of the milter's processes, summed over all of them for rspamd. Each round runs the cases in\n")
	b.WriteString("the table's order, null and mailgw back to back; a ratio is the median of the rounds' ratios. Milter CPU is the\n")
	b.WriteString("processor time (user and system) of the milter's processes per message; the null milter runs inside the\n")
	b.WriteString("benchmark process, so it has no figure of its own. The ratio to the null milter comes with the lowest and\n")
	b.WriteString("highest of the rounds: these machines are shared, and one round can be far from the next.\n\n")
	b.WriteString("| size | case | messages/s | × Postfix alone | × null milter (rounds' range) | milter CPU ms/message | peak RSS (MB) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, size := range []string{"10KB", "100KB"} {
		if err := need(r, prefixAll("Milter/", "/"+size, cases)...); err != nil {
			return "", err
		}
		base, null := r["Milter/postfix/"+size].msgsPerS, r["Milter/null/"+size].msgsPerS
		for _, c := range cases {
			x := r["Milter/"+c+"/"+size]
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %s | %s | %s |\n", size, c, median(x.msgsPerS),
				roundRatio(x.msgsPerS, base), spread(x.msgsPerS, null), figure(x.other["cpu-ms/msg"], "%.2f"), figure(x.rssMB, "%.0f"))
		}
	}
	b.WriteString("\nTargets: mailgw at least 0.90 × the null milter, and mailgw's RSS at most 64 MB.\n")
	return b.String(), nil
}

func prefixAll(pre, post string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pre + n + post
	}
	return out
}
