// Package milterbench is `make bench-milter`: the throughput of real Postfix
// with mailgw-milter against Postfix alone, Postfix with a null milter (the
// ceiling of any milter: the protocol's own cost) and Postfix with rspamd's
// milter proxy, all measured in one run on the same machine, with
// Postfix's smtp-source as the load. It is a benchmark, never run by
// `make test`; bench/report turns its output into docs/benchmarks.md.
//
// Each case sends benchproc.Messages messages of one size over
// benchproc.Sessions SMTP sessions and reports messages/s of accepted mail
// (250 after DATA, which in milter mode includes the milter's verdict),
// the milter's peak RSS and its processor time per message.
// Postfix discards instead of delivering, so that only the receiving side,
// the one the milter slows down, is measured.
package milterbench
