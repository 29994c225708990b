package test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// TestSIGTERMShutdown: SIGTERM with logged-in users gives every client a system-shutdown
// stream error, stops the daemon and leaves no backend process (spec 2.10).
func TestSIGTERMShutdown(t *testing.T) {
	s := StartServer(t, "")
	var ins []*Stanzas
	for _, u := range []string{"erin%demo@localhost", "frank%demo@localhost"} {
		c, in := dialListen(t, s, u, s.Password())
		if _, err := c.SendPresence(xmpp.Presence{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "before"}); err != nil {
			t.Fatal(err)
		}
		in.Wait(t, "the echo", opsWait, fromEcho("before"))
		ins = append(ins, in)
	}
	backends := backendPIDs(t, s.cmd.Process.Pid)
	if len(backends) == 0 {
		t.Fatal("no backend process found")
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, in := range ins {
		offline, err := streamEndSeeing(in, opsWait, func(st any) bool {
			p, ok := st.(xmpp.Presence)
			return ok && strings.HasPrefix(p.From, echoJID) && p.Type == "unavailable"
		})
		if err == nil || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("client %d: stream ended with %v, want the system-shutdown stream error", i, err)
		}
		if !offline {
			t.Errorf("client %d: echo did not go unavailable before the stream ended", i)
		}
	}
	select {
	case <-s.done:
	case <-time.After(opsWait):
		t.Fatal("spectrum2 did not exit after SIGTERM")
	}
	deadline := time.Now().Add(opsWait)
	for _, pid := range backends {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("backend %d outlived the daemon", pid)
		}
	}
	if log := s.Log(); !strings.Contains(log, "all backends stopped") {
		t.Errorf("no orderly backend shutdown in the log")
	}
	// c2s closes the streams before the router's Run ends, so their work is done, not
	// dropped after it (issue 19).
	if log := s.Log(); strings.Contains(log, "posted after the router stopped") {
		t.Errorf("work reached the router after it stopped:\n%s", log)
	}
}

// streamEnd reads in until the connection ends and returns the error that ended it.
func streamEnd(in *Stanzas, timeout time.Duration) error {
	_, err := streamEndSeeing(in, timeout, func(any) bool { return false })
	return err
}

// streamEndSeeing is streamEnd that also reports whether a stanza matching seen arrived.
func streamEndSeeing(in *Stanzas, timeout time.Duration, seen func(any) bool) (bool, error) {
	saw := false
	for _, st := range in.backlog {
		saw = saw || seen(st)
	}
	deadline := time.After(timeout)
	for {
		select {
		case st, ok := <-in.ch:
			if !ok {
				return saw, nil
			}
			if err, isErr := st.(error); isErr {
				return saw, err
			}
			saw = saw || seen(st)
		case <-deadline:
			return saw, fmt.Errorf("the stream did not end within %v", timeout)
		}
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// TestSIGHUPCertificate: after the certificate files change and SIGHUP, a new connection
// sees the new certificate while an established session stays up and working.
func TestSIGHUPCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	old := writeCert(t, certFile, keyFile, "first")
	s := StartServer(t, fmt.Sprintf("cert = %q\nkey = %q\n", certFile, keyFile))
	c := dialWithRoots(t, s, "gina%demo@localhost", s.Password(), old)
	in := listenClosing(t, c)
	if _, err := c.SendPresence(xmpp.Presence{}); err != nil {
		t.Fatal(err)
	}
	renewed := writeCert(t, certFile, keyFile, "second")
	// logging.level can change at run time, tls_port cannot: the reload says so.
	cfgPath := filepath.Join(s.Dir, "spectrum2.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `level = "debug"`, `level = "info"`, 1))
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("tls_port = %d", s.TLSPort), fmt.Sprintf("tls_port = %d", freePort(t)), 1))
	writeAtomic(t, cfgPath, cfg)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(opsWait)
	for {
		got := serverCertSerial(t, s)
		if got.Cmp(renewed.SerialNumber) == 0 && strings.Contains(s.Log(), "reload: certificate reloaded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new certificate was not served within %v of SIGHUP", opsWait)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if log := s.Log(); !strings.Contains(log, `"applied":["logging.level"],"need_restart":["service.tls_port"]`) {
		t.Errorf("the reload did not say what changed")
	}
	// The old session still works.
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "after reload"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the echo after the reload", opsWait, fromEcho("after reload"))
	_ = dialWithRoots(t, s, "hank%demo@localhost", s.Password(), renewed).Close()
}

// writeCert writes a fresh self-signed certificate for localhost and returns it.
func writeCert(t *testing.T, certFile, keyFile, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	writeAtomic(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// dialWithRoots logs user in over direct TLS, trusting only root.
func dialWithRoots(t *testing.T, s *Server, user, password string, root *x509.Certificate) *xmpp.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root)
	c, err := xmpp.Options{
		Host: s.TLSAddr(), User: user, Password: password, Resource: "phone",
		DialTimeout: 10 * time.Second, Mechanism: "PLAIN",
		TLSConfig: &tls.Config{ServerName: "localhost", RootCAs: pool},
	}.NewClient()
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	return c
}

// serverCertSerial is the serial number of the certificate a new direct TLS handshake sees.
func serverCertSerial(t *testing.T, s *Server) *big.Int {
	t.Helper()
	conn, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"xmpp-client"}}) //nolint:gosec // only reading the certificate
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}
