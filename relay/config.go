package relay

import (
	"crypto/tls"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// Section is the configuration section this package owns.
const Section = "mailgw.relay"

// Schema describes [mailgw.relay]: what the relay needs beyond the
// daemon-wide sections of package service.
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{
		Name: Section,
		Doc:  "The SMTP relay front-end (mailgw-relay): its queue, its TLS certificate and the DNS server it asks for MX records.",
		Params: []config.Param{
			{Name: "QueueDirectory", Kind: config.String, Default: "/var/spool/mailgw/queue",
				Doc: "Absolute path of the relay's queue. Every accepted message is written and synced there before the 250 reply; `mailgw queue` lists, flushes and removes its messages."},
			{Name: "TLSCertificateFile", Kind: config.String,
				Doc: "PEM certificate chain offered with STARTTLS; with TLSKeyFile. Empty: STARTTLS is not offered."},
			{Name: "TLSKeyFile", Kind: config.String, Doc: "PEM private key of TLSCertificateFile."},
			{Name: "DNSServer", Kind: config.String,
				Doc: "`IP:PORT` of the DNS server for MX, address and access-rule lookups. Empty: the first nameserver of /etc/resolv.conf."},
		},
	}}
}

// Settings is the decoded [mailgw.relay] section.
type Settings struct {
	QueueDirectory string
	TLS            *tls.Config // nil: no STARTTLS
	DNSServer      string      // "" : from /etc/resolv.conf
}

// FromConfig decodes [mailgw.relay]; the certificate is loaded here so
// that a bad one is a configuration error at its line, not a failed
// handshake later. A configuration without the section's schema gives
// the defaults.
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	s := Settings{QueueDirectory: "/var/spool/mailgw/queue"}
	if _, ok := c.Schema().Lookup(Section); !ok {
		return s, nil
	}
	var errs config.ErrorList
	s.QueueDirectory = c.String(Section, "QueueDirectory")
	if !filepath.IsAbs(s.QueueDirectory) {
		errs.Add(pos(c, "QueueDirectory"), "QueueDirectory %q: want an absolute path", s.QueueDirectory)
	}
	cert, key := c.String(Section, "TLSCertificateFile"), c.String(Section, "TLSKeyFile")
	switch {
	case cert == "" && key == "":
	case cert == "" || key == "":
		errs.Add(pos(c, "TLSCertificateFile"), "TLSCertificateFile and TLSKeyFile go together")
	default:
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			errs.Add(pos(c, "TLSCertificateFile"), "TLSCertificateFile: %v", err)
			break
		}
		s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	s.DNSServer = strings.TrimSpace(c.String(Section, "DNSServer"))
	if s.DNSServer != "" {
		if _, err := netip.ParseAddrPort(s.DNSServer); err != nil {
			errs.Add(pos(c, "DNSServer"), "DNSServer %q: want IP:PORT, such as 127.0.0.1:53", s.DNSServer)
		}
	}
	return s, errs
}

// pos is where key was last set, or its default's description.
func pos(c *config.Config, key string) config.Pos {
	if vals := c.Values(Section, key); len(vals) > 0 {
		return vals[len(vals)-1].Pos
	}
	return config.Pos{File: "default of [" + Section + "] " + key}
}
