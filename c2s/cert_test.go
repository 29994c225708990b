package c2s

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// stopped closes the listeners of a Server that never ran.
func stopped(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGeneratedCertificateIsReused(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, DataDir: dir, RequireEncryption: true, Log: zerolog.Nop()}
	s1, err := New(cfg, newTestAuth())
	if err != nil {
		t.Fatal(err)
	}
	stopped(t, s1)
	s2, err := New(cfg, newTestAuth())
	if err != nil {
		t.Fatal(err)
	}
	stopped(t, s2)
	if !bytes.Equal(s1.cert.Load().Certificate[0], s2.cert.Load().Certificate[0]) {
		t.Fatal("the certificate was generated twice")
	}
	leaf, err := x509.ParseCertificate(s1.cert.Load().Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.VerifyHostname(testDomain); err != nil {
		t.Error(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("want an ECDSA key, got %v", leaf.PublicKeyAlgorithm)
	}
	fi, err := os.Stat(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem mode %v", fi.Mode().Perm())
	}
}

// peerCert connects over direct TLS and returns the certificate the server presents.
func peerCert(t *testing.T, s *Server) []byte {
	t.Helper()
	tc, err := tls.Dial("tcp", s.directTLSAddr(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the test compares the certificate itself
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tc.Close() }()
	return tc.ConnectionState().PeerCertificates[0].Raw
}

func TestPEMCertificateAndReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := generateCertificate(certFile, keyFile, testDomain); err != nil {
		t.Fatal(err)
	}
	first, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.CertFile, c.KeyFile, c.DataDir = certFile, keyFile, "" })
	if !bytes.Equal(peerCert(t, s), first.Certificate[0]) {
		t.Fatal("the configured certificate is not used")
	}
	r := dialRaw(t, s)
	r.login("alice", "secret")
	full := r.bind("old")
	sess := recv(t, a.binds, "Bind")

	if err := generateCertificate(certFile, keyFile, testDomain); err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadCertificate(); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(peerCert(t, s), first.Certificate[0]) {
		t.Fatal("a new connection still sees the old certificate")
	}
	if err := sess.Send(xmpp.New(xmpp.NSClient, "message", "to", full).Append(xmpp.New(xmpp.NSClient, "body").AppendText("still here"))); err != nil {
		t.Fatal(err)
	}
	r.expect("still here")
	r.send(`</stream:stream>`)
	r.readAll()
	recv(t, a.handler.closed, "Closed")

	if err := os.WriteFile(certFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadCertificate(); err == nil {
		t.Error("reloading a broken certificate succeeded")
	}
}

func TestPKCS12Certificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := generateCertificate(certFile, keyFile, testDomain); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(pair.PrivateKey, leaf, nil, "p12-password")
	if err != nil {
		t.Fatal(err)
	}
	p12File := writeFile(t, dir, "bundle.p12", p12)
	s := testServer(t, newTestAuth(), func(c *Config) { c.CertFile, c.CertPassword, c.DataDir = p12File, "p12-password", "" })
	if !bytes.Equal(peerCert(t, s), pair.Certificate[0]) {
		t.Fatal("the PKCS#12 certificate is not used")
	}
	_, err = New(Config{Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, CertFile: p12File, CertPassword: "wrong-pass", Log: zerolog.Nop()}, newTestAuth())
	if err == nil {
		t.Fatal("a wrong PKCS#12 password was accepted")
	}
	if strings.Contains(err.Error(), "wrong-pass") {
		t.Errorf("the password appears in the error: %v", err)
	}
}

func TestNoCertificate(t *testing.T) {
	_, err := New(Config{Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, Log: zerolog.Nop()}, newTestAuth())
	if err == nil {
		t.Fatal("New without certificate and data directory succeeded")
	}
}

func TestShutdownWithOpenStreams(t *testing.T) {
	a := newTestAuth()
	cfg := Config{Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, DataDir: t.TempDir(), RequireEncryption: true, Log: zerolog.Nop()}
	s, err := New(cfg, a)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	bound := dialRaw(t, s)
	bound.login("alice", "secret")
	bound.bind("x")
	recv(t, a.binds, "Bind")
	negotiating := dialRaw(t, s)
	negotiating.open()
	cancel()
	for _, r := range []*rawClient{bound, negotiating} {
		r.expectStreamError("system-shutdown")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
	recv(t, a.handler.closed, "Closed")
}
