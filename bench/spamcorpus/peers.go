package spamcorpus

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// writeFiles puts the messages under dir, one file each in a directory
// per group, as the peers read them, and returns the paths in order.
func writeFiles(dir string, msgs []Message) ([]string, error) {
	paths := make([]string, len(msgs))
	for i, m := range msgs {
		p := filepath.Join(dir, m.Group, m.Name+".eml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, m.Raw, 0o644); err != nil {
			return nil, err
		}
		paths[i] = p
	}
	return paths, nil
}

// childCPU is the user plus system time of a finished command.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// run runs cmd and returns its output, also when it fails.
func run(cmd *exec.Cmd, stdin []byte) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args[:min(3, len(cmd.Args))], " "), err, tail(errb.String()))
	}
	return out.Bytes(), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

// Bogofilter trains Debian's bogofilter in a private word list (-d) with
// its built-in settings (-C: no configuration file) and classifies the
// test files in bulk mode. Its Unsure is counted as probable.
func Bogofilter(ctx context.Context, train, test []Message, workDir string) (*Tool, error) {
	db := filepath.Join(workDir, "bogofilter")
	if err := os.MkdirAll(db, 0o755); err != nil {
		return nil, err
	}
	trainPaths, err := writeFiles(filepath.Join(workDir, "train"), train)
	if err != nil {
		return nil, err
	}
	for _, spam := range []bool{true, false} {
		flag := "-n"
		if spam {
			flag = "-s"
		}
		if _, err := run(exec.CommandContext(ctx, "bogofilter", "-C", "-d", db, flag, "-b"), pathsOf(train, trainPaths, spam)); err != nil {
			return nil, err
		}
	}
	testPaths, err := writeFiles(filepath.Join(workDir, "test"), test)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "bogofilter", "-C", "-d", db, "-v", "-b")
	out, err := run(cmd, []byte(strings.Join(testPaths, "\n")+"\n"))
	if err != nil && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() <= 2 {
		err = nil // bogofilter's exit code is the class of the last message
	}
	if err != nil {
		return nil, err
	}
	classes, err := parseBogosity(out)
	if err != nil {
		return nil, err
	}
	tool := &Tool{Name: "bogofilter", Note: "bogofilter " + version("bogofilter", "-V") + ", built-in cutoffs (-C), Unsure counted as probable"}
	if err := countByPath(tool, test, testPaths, classes); err != nil {
		return nil, err
	}
	tool.PerCore = float64(len(test)) / childCPU(cmd).Seconds()
	return tool, nil
}

// pathsOf lists, one a line, the files of the messages of one class.
func pathsOf(msgs []Message, paths []string, spam bool) []byte {
	var b bytes.Buffer
	for i, m := range msgs {
		if m.Spam() == spam {
			b.WriteString(paths[i] + "\n")
		}
	}
	return b.Bytes()
}

// parseBogosity reads bulk-mode lines "PATH X-Bogosity: Spam, tests=...".
func parseBogosity(out []byte) (map[string]Class, error) {
	classes := map[string]Class{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, rest, ok := strings.Cut(sc.Text(), " X-Bogosity: ")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "Spam"):
			classes[path] = Spam
		case strings.HasPrefix(rest, "Unsure"):
			classes[path] = Probable
		case strings.HasPrefix(rest, "Ham"):
			classes[path] = Ham
		default:
			return nil, fmt.Errorf("bogofilter: unexpected answer %q", sc.Text())
		}
	}
	return classes, sc.Err()
}

func countByPath(tool *Tool, msgs []Message, paths []string, classes map[string]Class) error {
	for i, m := range msgs {
		c, ok := classes[paths[i]]
		if !ok {
			return fmt.Errorf("%s: no answer for %s", tool.Name, paths[i])
		}
		tool.Count(m.Group, c)
	}
	return nil
}

func version(prog string, arg string) string {
	out, err := exec.Command(prog, arg).CombinedOutput()
	if err != nil {
		return "?"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	f := strings.Fields(line)
	for _, w := range f {
		if len(w) > 0 && w[0] >= '0' && w[0] <= '9' {
			return w
		}
	}
	return strings.TrimSpace(line)
}

// saMarker names the header the benchmark asks SpamAssassin to add, so
// that its answers can be found in its output whatever the messages say
// about SpamAssassin themselves (the corpus holds its mailing list).
const saMarker = "X-Spam-Mailgwbench"

// SpamAssassin trains Debian's SpamAssassin 4 Bayes with sa-learn in a
// private database and classifies the test files with `spamassassin -L`
// (local tests only), with its shipped rules and required_score, and
// with auto-learning off so that the test split never trains it. It has
// no middle class: nothing is counted as probable. The test files are
// split across two processes, which is what a 2-core machine runs.
func SpamAssassin(ctx context.Context, train, test []Message, workDir string) (*Tool, error) {
	home := filepath.Join(workDir, "sa-home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	prefs := filepath.Join(home, "user_prefs")
	if err := os.WriteFile(prefs, nil, 0o600); err != nil {
		return nil, err
	}
	common := []string{"-L", "-p", prefs, "--cf=bayes_path " + filepath.Join(home, "bayes"), "--cf=bayes_auto_learn 0"}
	trainDir := filepath.Join(workDir, "sa-train")
	paths, err := writeFiles(trainDir, train)
	if err != nil {
		return nil, err
	}
	for _, spam := range []bool{true, false} {
		class := "--ham"
		if spam {
			class = "--spam"
		}
		list := filepath.Join(workDir, "sa-learn"+class+".list")
		if err := os.WriteFile(list, pathsOf(train, paths, spam), 0o644); err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, "sa-learn", append(append([]string{class, "--no-sync"}, common...), "-f", list)...)
		cmd.Env = append(os.Environ(), "HOME="+home)
		if _, err := run(cmd, nil); err != nil {
			return nil, err
		}
	}
	sync := exec.CommandContext(ctx, "sa-learn", append([]string{"--sync"}, common...)...)
	sync.Env = append(os.Environ(), "HOME="+home)
	if _, err := run(sync, nil); err != nil {
		return nil, err
	}
	testPaths, err := writeFiles(filepath.Join(workDir, "sa-test"), test)
	if err != nil {
		return nil, err
	}
	return saCheck(ctx, test, testPaths, home, append(common, "-x", "--cf=add_header all Mailgwbench _YESNO_ _SCORE_"))
}

func saCheck(ctx context.Context, test []Message, paths []string, home string, args []string) (*Tool, error) {
	const procs = 2
	var wg sync.WaitGroup
	answers := make([][]Class, procs)
	cpu := make([]time.Duration, procs)
	errs := make([]error, procs)
	chunk := (len(paths) + procs - 1) / procs
	for i := 0; i < procs; i++ {
		lo, hi := min(i*chunk, len(paths)), min((i+1)*chunk, len(paths))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, "spamassassin", append(append([]string{}, args...), paths[lo:hi]...)...)
			cmd.Env = append(os.Environ(), "HOME="+home)
			out, err := run(cmd, nil)
			if err == nil {
				answers[i], err = parseSAMarkers(out, hi-lo)
			}
			cpu[i], errs[i] = childCPU(cmd), err
		}()
	}
	wg.Wait()
	tool := &Tool{Name: "SpamAssassin", Note: "SpamAssassin " + version("spamassassin", "-V") + " -L, Debian's rules, required_score 5, Bayes by sa-learn, auto-learn off"}
	var total time.Duration
	j := 0
	for i := 0; i < procs; i++ {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, c := range answers[i] {
			tool.Count(test[j].Group, c)
			j++
		}
		total += cpu[i]
	}
	tool.PerCore = float64(len(test)) / total.Seconds()
	return tool, nil
}

// parseSAMarkers reads the marker header of each message in
// SpamAssassin's output, in order: "X-Spam-Mailgwbench: Yes 7.2".
func parseSAMarkers(out []byte, want int) ([]Class, error) {
	var classes []Class
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), saMarker+": ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 {
			return nil, fmt.Errorf("spamassassin: unexpected marker %q", sc.Text())
		}
		if _, err := strconv.ParseFloat(f[1], 64); err != nil {
			return nil, fmt.Errorf("spamassassin: unexpected score %q", sc.Text())
		}
		c := Ham
		if f[0] == "Yes" {
			c = Spam
		}
		classes = append(classes, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(classes) != want {
		return nil, fmt.Errorf("spamassassin: %d answers for %d messages", len(classes), want)
	}
	return classes, nil
}
