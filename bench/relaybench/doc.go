// Package relaybench is `make bench-relay`: the end-to-end throughput of
// mailgw-relay with filtering on against Postfix as a plain relay and
// Postfix with rspamd's milter proxy, all measured in one run on the same
// machine, with Postfix's smtp-source as the load and one SMTP sink as
// the next hop of all three. It is a benchmark, never run by `make test`;
// bench/report turns its output into docs/benchmarks.md.
//
// Each case sends benchproc.Messages messages of one size over
// benchproc.Sessions SMTP sessions and reports messages/s until the last
// message reached the sink (so queueing and delivery are included, not
// just acceptance), messages/s until the last one was accepted, and the
// peak RSS of the relay's processes. Every relay keeps its queue on the same disk and
// fsyncs a message before its 250 (Postfix by default, mailgw-relay by
// design).
//
// BenchmarkRelayProfile runs the same mailgw-relay load with the relay in
// the benchmark process, for `go test -cpuprofile` and -memprofile.
package relaybench
