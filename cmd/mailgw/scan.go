package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/mimetree"
)

type scanOpts struct {
	cf      configFlags
	from    string
	rcpts   []string
	ip      string
	host    string
	helo    string
	jsonOut bool
	output  string
	verbose bool
}

func parseScanFlags(args []string, stderr io.Writer) (*scanOpts, []string, bool) {
	o := &scanOpts{}
	fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	o.cf.register(fs)
	fs.StringVar(&o.from, "from", "", "envelope sender (default: the From header address)")
	fs.StringArrayVar(&o.rcpts, "rcpt", nil, "envelope recipient (repeatable; default: To and Cc addresses)")
	fs.StringVar(&o.ip, "ip", "", "client IP address")
	fs.StringVar(&o.host, "host", "", "client's verified (forward-confirmed) host name")
	fs.StringVar(&o.helo, "helo", "", "HELO/EHLO name")
	fs.BoolVar(&o.jsonOut, "json", false, "print one JSON object per message")
	fs.StringVar(&o.output, "output", "", "write each delivered group copy to this directory")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "log every decision to stderr")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(stderr, "mailgw scan:", err)
		return nil, nil, false
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mailgw scan: no PATH given")
		return nil, nil, false
	}
	return o, fs.Args(), true
}

// scanReport is one line of --json output.
type scanReport struct {
	File   string        `json:"file"`
	Error  string        `json:"error,omitempty"`
	Groups []groupReport `json:"groups"`
}

type groupReport struct {
	Group       string                  `json:"group"`
	Recipients  []string                `json:"recipients"`
	ASStatus    string                  `json:"as_status"`
	ASScore     float64                 `json:"as_score"`
	ASRules     []string                `json:"as_rules"`
	Objects     []decision.Object       `json:"objects"`
	Disposition decision.Disposition    `json:"disposition"`
	Reply       string                  `json:"reply,omitempty"`
	Quarantine  bool                    `json:"quarantine"`
	Notify      []decision.Notification `json:"notify"`
	Output      string                  `json:"output,omitempty"`
	Error       string                  `json:"error,omitempty"`
}

func runScan(args []string, stdout, stderr io.Writer) int {
	o, paths, ok := parseScanFlags(args, stderr)
	if !ok {
		return exitUsage
	}
	env, err := o.envelope()
	if err != nil {
		fmt.Fprintln(stderr, "mailgw scan:", err)
		return exitUsage
	}
	gw, err := o.cf.load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	f, _, err := gw.Core(log, version)
	if err != nil {
		fmt.Fprintln(stderr, "mailgw scan:", err)
		return exitFailed
	}
	files, err := collectFiles(paths)
	if err != nil {
		fmt.Fprintln(stderr, "mailgw scan:", err)
		return exitFailed
	}
	s := &scanner{opts: o, env: env, filter: f}
	failed := false
	forEachOrdered(files, s.scanFile, func(r scanReport) {
		failed = failed || r.Error != ""
		s.print(stdout, r)
	})
	if failed {
		return exitFailed
	}
	return exitOK
}

func (o *scanOpts) envelope() (filter.Envelope, error) {
	env := filter.Envelope{From: o.from, Rcpts: o.rcpts, ClientHost: o.host, Helo: o.helo}
	if o.ip != "" {
		ip, err := netip.ParseAddr(o.ip)
		if err != nil {
			return env, fmt.Errorf("--ip: %v", err)
		}
		env.ClientIP = ip
	}
	return env, nil
}

// collectFiles expands directories into the regular files below them, in
// lexical order, so the output order is stable.
func collectFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// forEachOrdered runs work on every file with one worker per CPU and hands
// the results to emit in input order.
func forEachOrdered(files []string, work func(string) scanReport, emit func(scanReport)) {
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan scanReport, len(files))
	for i := range results {
		results[i] = make(chan scanReport, 1)
	}
	next := make(chan int)
	for w := 0; w < workers; w++ {
		go func() {
			for i := range next {
				results[i] <- work(files[i])
			}
		}()
	}
	go func() {
		for i := range files {
			next <- i
		}
		close(next)
	}()
	for _, ch := range results {
		emit(<-ch)
	}
}

type scanner struct {
	opts   *scanOpts
	env    filter.Envelope
	filter *filter.Filter
}

func (s *scanner) scanFile(path string) scanReport {
	rep := scanReport{File: path, Groups: []groupReport{}}
	raw, err := os.ReadFile(path)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	env := s.env
	env.QueueID = filepath.Base(path)
	msg := s.filter.Parse(raw)
	if env.From == "" {
		env.From = headerAddress(msg, "From")
	}
	if len(env.Rcpts) == 0 {
		env.Rcpts = headerRecipients(msg)
	}
	if len(env.Rcpts) == 0 {
		rep.Error = "no recipients: give --rcpt or a message with To/Cc addresses"
		return rep
	}
	res := s.filter.ProcessMessage(context.Background(), &env, msg)
	for _, d := range res.Decisions {
		rep.Groups = append(rep.Groups, s.groupReport(path, res.Message, d))
	}
	return rep
}

func (s *scanner) groupReport(path string, msg *mimetree.Message, d *decision.Decision) groupReport {
	g := groupReport{Group: d.Group, Recipients: d.Recipients, ASStatus: d.Spam.Status, ASScore: d.Spam.Score,
		ASRules: d.Spam.Rules, Objects: d.Objects, Disposition: d.Disposition, Quarantine: len(d.Quarantine) > 0,
		Notify: d.Notify, Error: d.Error}
	if d.Reply != nil {
		g.Reply = d.Reply.String()
	}
	if g.Objects == nil {
		g.Objects = []decision.Object{}
	}
	if s.opts.output != "" && d.Disposition == decision.Deliver {
		out, err := writeCopy(s.opts.output, path, d, msg)
		if err != nil {
			g.Error = err.Error()
		}
		g.Output = out
	}
	return g
}

func writeCopy(dir, path string, d *decision.Decision, msg *mimetree.Message) (string, error) {
	data, err := d.Apply(msg)
	if err != nil {
		return "", err
	}
	name := strings.TrimSuffix(filepath.Base(path), ".eml") + "." + safeName(d.Group) + ".eml"
	out := filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return out, os.WriteFile(out, data, 0o644)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r < ' ' {
			return '_'
		}
		return r
	}, s)
}

func headerAddress(msg *mimetree.Message, key string) string {
	h := mail.Header{Header: msg.Header}
	list, err := h.AddressList(key)
	if err != nil || len(list) == 0 {
		return ""
	}
	return list[0].Address
}

func headerRecipients(msg *mimetree.Message) []string {
	h := mail.Header{Header: msg.Header}
	var out []string
	for _, key := range []string{"To", "Cc"} {
		list, _ := h.AddressList(key)
		for _, a := range list {
			out = append(out, a.Address)
		}
	}
	return out
}

func (s *scanner) print(w io.Writer, r scanReport) {
	if s.opts.jsonOut {
		b, _ := json.Marshal(r)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	if r.Error != "" {
		fmt.Fprintf(w, "%s: error: %s\n", r.File, r.Error)
		return
	}
	for _, g := range r.Groups {
		fmt.Fprintf(w, "%s: group=%s rcpts=%s as=%s(%g) av=%s disposition=%s", r.File, g.Group,
			strings.Join(g.Recipients, ","), g.ASStatus, g.ASScore, objectSummary(g.Objects), g.Disposition)
		if g.Quarantine {
			fmt.Fprint(w, " quarantine")
		}
		if g.Error != "" {
			fmt.Fprintf(w, " error=%q", g.Error)
		}
		fmt.Fprintln(w)
	}
}

func objectSummary(objs []decision.Object) string {
	var parts []string
	for _, o := range objs {
		s := o.Status
		if o.Name != "" {
			s = o.Name + ":" + s
		}
		if o.Signature != "" {
			s += "(" + o.Signature + ")"
		}
		if o.Action != "" && o.Action != "pass" {
			s += "->" + o.Action
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
