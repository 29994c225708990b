package testsrv

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestProsody starts Prosody with every option the backend tests use and checks that both
// ports speak XMPP with the self-signed certificate, and that it survives a restart.
func TestProsody(t *testing.T) {
	p := StartProsody(t, ProsodyOptions{MUC: "conference.example.test", DirectTLS: true,
		Users: []string{"alice", "alice-secret"}, DebugLog: true})
	if p.CAFile == "" || p.TLSPort == 0 || p.TLSPort == p.Port {
		t.Fatalf("ports %d/%d, CA file %q", p.Port, p.TLSPort, p.CAFile)
	}
	p.Register("bob", "bob-secret")
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", p.TLSAddr(), p.TLSConfig())
	if err != nil {
		t.Fatalf("direct TLS: %v", err)
	}
	expectStreamFeatures(t, c, "example.test")
	c.Close()
	p.Restart()
	c2, err := net.DialTimeout("tcp", p.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	expectStreamFeatures(t, c2, "example.test")
	if !strings.Contains(p.Logs(), "debug") {
		t.Errorf("no debug log:\n%s", p.Logs())
	}
}

// TestProsodyGivenCertificate: a certificate the test passes in is served on another IP,
// and no CAFile is claimed for it.
func TestProsodyGivenCertificate(t *testing.T) {
	certPEM, keyPEM := (&Prosody{t: t}).selfSigned([]string{"wrong.test"})
	p := StartProsody(t, ProsodyOptions{IP: "127.0.0.2", Domain: "example.org", DirectTLS: true,
		CertPEM: certPEM, KeyPEM: keyPEM})
	if p.CAFile != "" || !strings.HasPrefix(p.Addr(), "127.0.0.2:") {
		t.Fatalf("addr %s, CA file %q", p.Addr(), p.CAFile)
	}
	cfg := &tls.Config{InsecureSkipVerify: true} // the name is wrong on purpose
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", p.TLSAddr(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.ConnectionState().PeerCertificates[0].DNSNames; len(got) != 1 || got[0] != "wrong.test" {
		t.Errorf("served certificate for %v", got)
	}
	expectStreamFeatures(t, c, "example.org")
}

// expectStreamFeatures opens a stream to domain on c and waits for <stream:features>.
func expectStreamFeatures(t *testing.T, c net.Conn, domain string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	_, err := c.Write([]byte(`<?xml version='1.0'?><stream:stream to='` + domain +
		`' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	var got strings.Builder
	for !strings.Contains(got.String(), "</stream:features>") {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("no stream features (%v): %q", err, got.String())
		}
		got.WriteByte(b)
	}
}
