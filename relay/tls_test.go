package relay_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/milter/postfixtest"
)

// selfSigned writes a certificate and key for relay.test and returns the
// [mailgw.relay] lines naming them.
func selfSigned(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		DNSNames: []string{"relay.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return "[mailgw.relay]\nTLSCertificateFile=" + cert + "\nTLSKeyFile=" + keyFile + "\n"
}

// TestSTARTTLS: swaks delivers over STARTTLS with the configured
// certificate (the Received field says ESMTPS), and a relay delivering to
// a TLS-capable next hop (a second relay) upgrades opportunistically.
func TestSTARTTLS(t *testing.T) {
	sink := postfixtest.StartSink(t)
	inner := start(t, setup{sink: sink, conf: selfSigned(t)})
	out, err := exec.Command("swaks", "--server", inner.addr, "--tls", "--from", "alice@example.org",
		"--to", "bob@example.com", "--ehlo", "client.test", "--body", "over tls").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks --tls: %v\n%s", err, out)
	}
	m := sink.Next(t, 10*time.Second)
	if !bytes.Contains(m.Data, []byte("with ESMTPS id")) {
		t.Errorf("no TLS in the Received field:\n%s", m.Data)
	}

	// The outer relay forwards to the inner one: its sink is the inner
	// relay's address.
	outer := start(t, setup{sink: &postfixtest.Sink{Addr: inner.addr}})
	sendOne(t, outer.addr, []string{"bob@example.com"}, "Subject: hop\r\n\r\nx\r\n", "250 ")
	m = sink.Next(t, 10*time.Second)
	first, _, _ := strings.Cut(string(m.Data), ";")
	if !strings.Contains(first, "by relay.test (mailgw) with ESMTPS") {
		t.Errorf("the hop between the relays did not use TLS:\n%s", m.Data)
	}
	if strings.Count(string(m.Data), "Received: ") != 2 {
		t.Errorf("want two Received fields:\n%s", m.Data)
	}
}
