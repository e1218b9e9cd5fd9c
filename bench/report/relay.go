package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/mailgw/mailgw/bench/benchproc"
)

// relaySection compares mailgw-relay with filtering on against Postfix
// as a plain relay and Postfix with rspamd's milter proxy, in the same
// run (package bench/relaybench). Each figure is the median of count
// rounds (runRounds), a ratio the median of the rounds' ratios; load is
// the machine's load average before and after.
func relaySection(count int) (string, error) {
	before := loadAverage()
	r, err := runRounds("./bench/relaybench", "^BenchmarkRelay$", count)
	if err != nil {
		return "", err
	}
	after := loadAverage()
	cases := []string{"postfix", "rspamd", "mailgw"}
	var b strings.Builder
	fmt.Fprintf(&b, "## mailgw-relay (`make bench-relay`)\n\n%s Load average (1, 5, 15 min) %s before, %s after.\n\n", measured(count), before, after)
	fmt.Fprintf(&b, "smtp-source sends %d messages per size over %d sessions, several messages per session, to each relay in turn;\n",
		benchproc.Messages, benchproc.Sessions)
	fmt.Fprintf(&b, "every relay forwards to the same Go SMTP sink on loopback, and a case ends when the sink has all %d, so\n", benchproc.Messages)
	b.WriteString("messages/s is end to end (receive, queue, deliver). `postfix` is Debian's Postfix 3.7 as a plain relay\n")
	b.WriteString("(relayhost to the sink, its defaults otherwise, connection cache included). `rspamd` is the same Postfix with\n")
	b.WriteString("rspamd 3.4's proxy worker in milter mode scanning by itself, every network module off. `mailgw` is the\n")
	b.WriteString("mailgw-relay binary with anti-spam (no DNS) and the built-in anti-virus engine on the default policy, its\n")
	b.WriteString("defaults otherwise but for the per-client limits the load would hit and MaximalOutgoingSessionsPerHost=20,\n")
	b.WriteString("Postfix's default concurrency to one destination (mailgw's default is 4). Both keep sessions to the sink open\n")
	b.WriteString("between messages (connection cache).\n")
	b.WriteString("Every queue is on the same ext4 disk and every relay fsyncs a message before its 250. Each round runs\n")
	b.WriteString("every case once, in the table's order; a ratio is the median of the rounds' ratios.\n\n")
	b.WriteString("CPU is the processor time (user and system) all of a case's processes used per message, rspamd's included:\n")
	b.WriteString("what a message costs the machine, a figure other jobs on a shared machine disturb less than messages/s.\n\n")
	b.WriteString("Memory: peak RSS (VmHWM) of the mailgw-relay process; PSS is the proportional set size summed over a\n")
	b.WriteString("program's processes at the end of the load (shared pages divided among them), the fair figure for Postfix's\n")
	b.WriteString("many daemons. rspamd's is given separately from Postfix's.\n\n")
	b.WriteString("| size | case | messages/s end to end | × Postfix relay | messages/s accepted | CPU ms/message | peak RSS (MB) | PSS (MB) | rspamd PSS (MB) |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	var ratios []string
	for _, size := range []string{"10KB", "100KB"} {
		if err := need(r, prefixAll("Relay/", "/"+size, cases)...); err != nil {
			return "", err
		}
		base := r["Relay/postfix/"+size].msgsPerS
		for _, c := range cases {
			x := r["Relay/"+c+"/"+size]
			v := roundRatio(x.msgsPerS, base)
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.2f | %s | %s | %s | %s | %s |\n", size, c, median(x.msgsPerS), v,
				figure(x.other["accepted-msgs/s"], "%.0f"), figure(x.other["cpu-ms/msg"], "%.2f"), figure(x.rssMB, "%.0f"),
				figure(x.other["pss-MB"], "%.0f"), figure(x.other["rspamd-pss-MB"], "%.0f"))
			if c == "mailgw" {
				ratios = append(ratios, fmt.Sprintf("%.2f at %s", v, size))
			}
		}
	}
	fmt.Fprintf(&b, "\nmailgw-relay / Postfix relay, end to end: %s.\n", strings.Join(ratios, ", "))
	b.WriteString("Targets: mailgw-relay at least 1.00 × Postfix's plain-relay throughput with the same durability, and its RSS\n")
	b.WriteString("at most 128 MB.\n")
	return b.String(), nil
}

// figure is the median of v, or a dash when the case has no such figure.
func figure(v []float64, format string) string {
	if len(v) == 0 {
		return "–"
	}
	return fmt.Sprintf(format, median(v))
}

// loadAverage is the first three fields of /proc/loadavg: other jobs on
// a shared machine show there.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}
