package service

import (
	"crypto/tls"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// RelaySection configures the SMTP relay front-end (mailgw-relay) beyond
// the daemon-wide sections.
const RelaySection = "mailgw.relay"

func relaySchema() config.SectionSchema {
	return config.SectionSchema{
		Name: RelaySection,
		Doc:  "The SMTP relay front-end (mailgw-relay): its queue, its TLS certificate and the DNS server it asks for MX records.",
		Params: []config.Param{
			{Name: "QueueDirectory", Kind: config.String, Default: "/var/spool/mailgw/queue",
				Doc: "Absolute path of the relay's queue. Every accepted message is written and synced there before the 250 reply; `mailgw queue` lists, flushes and removes its messages."},
			{Name: "TLSCertificateFile", Kind: config.String,
				Doc: "PEM certificate chain offered with STARTTLS; with TLSKeyFile. Empty: STARTTLS is not offered."},
			{Name: "TLSKeyFile", Kind: config.String, Doc: "PEM private key of TLSCertificateFile."},
			{Name: "DNSServer", Kind: config.String,
				Doc: "`IP:PORT` of the DNS server for MX, address and access-rule lookups (mailgw-milter uses it for the access rules too). Empty: the first nameserver of /etc/resolv.conf (mailgw-milter: [mailgw.antispam] Resolver first)."},
		},
	}
}

// Relay is the decoded [mailgw.relay] section.
type Relay struct {
	QueueDirectory string
	TLS            *tls.Config // nil: no STARTTLS
	DNSServer      string      // "": from /etc/resolv.conf
}

// relayFromConfig decodes [mailgw.relay]. The certificate is loaded here
// so that a bad one is a configuration error at its line, not a failed
// handshake with the first client.
func relayFromConfig(c *config.Config, errs *config.ErrorList) Relay {
	s := Relay{QueueDirectory: c.String(RelaySection, "QueueDirectory")}
	if !filepath.IsAbs(s.QueueDirectory) {
		errs.Add(pos(c, RelaySection, "QueueDirectory"), "QueueDirectory %q: want an absolute path", s.QueueDirectory)
	}
	cert, key := c.String(RelaySection, "TLSCertificateFile"), c.String(RelaySection, "TLSKeyFile")
	switch {
	case cert == "" && key == "":
	case cert == "" || key == "":
		errs.Add(posOfEither(c, RelaySection, "TLSCertificateFile", "TLSKeyFile"), "TLSCertificateFile and TLSKeyFile go together")
	default:
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			errs.Add(pos(c, RelaySection, "TLSCertificateFile"), "TLSCertificateFile: %v", err)
			break
		}
		s.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	s.DNSServer = strings.TrimSpace(c.String(RelaySection, "DNSServer"))
	if s.DNSServer != "" {
		if _, err := netip.ParseAddrPort(s.DNSServer); err != nil {
			errs.Add(pos(c, RelaySection, "DNSServer"), "DNSServer %q: want IP:PORT, such as 127.0.0.1:53", s.DNSServer)
		}
	}
	return s
}
