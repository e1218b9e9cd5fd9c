// Package dnstest runs DNS servers for tests of the DNS checks (anti-spam,
// access rules):
// a miekg/dns server on 127.0.0.1 answering from records given as zone
// file lines, and a silent one that never answers. Test support only.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// Server is a running authoritative test server.
type Server struct {
	Addr    string // host:port, UDP
	queries atomic.Int64
	mu      sync.Mutex
	records map[string][]dns.RR // by lower-case owner name
	failing map[string]bool     // names answered with SERVFAIL
}

// Fail makes the server answer SERVFAIL (RFC 1035 §4.1.1 RCODE 2) for
// the names given, fully qualified: a broken zone, a temporary failure.
func (s *Server) Fail(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.failing[strings.ToLower(dns.Fqdn(n))] = true
	}
}

// Start serves records, each a zone file line such as
// "2.0.0.192.bl.test. 300 IN A 127.0.0.2", until the test ends.
func Start(t testing.TB, records ...string) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, failing: map[string]bool{}}
	for _, line := range records {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("dnstest: %q: %v", line, err)
		}
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = pc.LocalAddr().String()
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return s
}

// Queries is how many queries the server has answered.
func (s *Server) Queries() int64 { return s.queries.Load() }

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) == 1 {
		q := req.Question[0]
		s.mu.Lock()
		rrs, known := s.records[strings.ToLower(q.Name)]
		failing := s.failing[strings.ToLower(q.Name)]
		s.mu.Unlock()
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		switch {
		case failing:
			m.Rcode, m.Answer = dns.RcodeServerFailure, nil
		case !known:
			m.Rcode = dns.RcodeNameError
		}
	}
	w.WriteMsg(m)
}

// Silent returns the address of a UDP socket that reads queries and never
// answers: a dead or hopelessly slow DNS server.
func Silent(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 512)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}
