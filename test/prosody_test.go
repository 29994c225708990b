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
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// The remote XMPP server of the XMPP backend tests: its domain and MUC service.
const (
	remoteDomain = "example.org"
	remoteMUC    = "conference.example.org"
)

// Prosody is a real Prosody started by a test (adapted from backend/xmpp/prosody_test.go):
// remoteDomain with c2s (STARTTLS) on loopback, a MUC component and a self-signed
// certificate in CAFile. Test files cannot be shared across packages, hence the copy.
type Prosody struct {
	t      *testing.T
	dir    string
	Port   int
	CAFile string
	cmd    *exec.Cmd
	exited chan struct{}
}

const prosodyConfig = `-- written by the spectrum2 end-to-end tests
run_as_root = true
daemonize = false
pidfile = %[1]q
data_path = %[2]q
log = { info = %[3]q }
interfaces = { "127.0.0.1" }
c2s_ports = { %[4]d }
modules_enabled = { "tls", "saslauth", "disco", "roster", "ping", "vcard", "carbons" }
modules_disabled = { "s2s", "offline" }
authentication = "internal_hashed"
c2s_require_encryption = true
certificates = %[5]q
ssl = { certificate = %[6]q, key = %[7]q }
VirtualHost %[8]q
Component %[9]q "muc"
  muc_room_locking = false
  muc_room_default_change_subject = true
`

// StartProsody writes a config, a certificate and the users (name, password pairs) into a
// fresh directory and runs Prosody; the test's cleanup stops it by PID.
func StartProsody(t *testing.T, users ...string) *Prosody {
	t.Helper()
	p := &Prosody{t: t, dir: t.TempDir(), Port: freePort(t)}
	certs, data := filepath.Join(p.dir, "certs"), filepath.Join(p.dir, "data")
	for _, d := range []string{certs, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM := prosodySelfSigned(t, remoteDomain, remoteMUC)
	crt, key := filepath.Join(certs, remoteDomain+".crt"), filepath.Join(certs, remoteDomain+".key")
	prosodyWriteFile(t, crt, certPEM)
	prosodyWriteFile(t, key, keyPEM)
	p.CAFile = crt
	cfg := fmt.Sprintf(prosodyConfig, filepath.Join(p.dir, "prosody.pid"), data,
		filepath.Join(p.dir, "prosody.log"), p.Port, certs, crt, key, remoteDomain, remoteMUC)
	prosodyWriteFile(t, p.cfgPath(), []byte(cfg))
	for i := 0; i+1 < len(users); i += 2 {
		p.register(users[i], users[i+1])
	}
	p.Start()
	return p
}

func (p *Prosody) cfgPath() string { return filepath.Join(p.dir, "prosody.cfg.lua") }

// Addr is the c2s address.
func (p *Prosody) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) }

func (p *Prosody) register(user, password string) {
	out, err := exec.Command("prosodyctl", "--config", p.cfgPath(), "register", user, remoteDomain, password).CombinedOutput()
	if err != nil {
		p.t.Fatalf("prosodyctl register %s: %v\n%s", user, err, out)
	}
}

// Start runs Prosody and waits until it accepts connections; after Stop it starts it
// again on the same port and data.
func (p *Prosody) Start() {
	t := p.t
	t.Helper()
	out, err := os.OpenFile(filepath.Join(p.dir, "stdout.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("prosody", "--config", p.cfgPath())
	cmd.Stdout, cmd.Stderr, cmd.Dir = out, out, p.dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prosody: %v", err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(p.exited)
	t.Cleanup(p.Stop)
	p.waitPort()
}

func (p *Prosody) waitPort() {
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("prosody exited during start-up\n%s", p.Logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("prosody does not listen on %s\n%s", p.Addr(), p.Logs())
}

// Stop ends Prosody by PID: SIGTERM, then SIGKILL if it lingers. It can be called twice.
func (p *Prosody) Stop() {
	if p.cmd == nil {
		return
	}
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Logs is Prosody's output and log file.
func (p *Prosody) Logs() string {
	var s string
	for _, f := range []string{"stdout.txt", "prosody.log"} {
		b, _ := os.ReadFile(filepath.Join(p.dir, f))
		s += "--- " + f + "\n" + string(b)
	}
	return s
}

// Dial logs name@remoteDomain/resource in directly to Prosody with go-xmpp (the remote
// contact, or the user's own second client beside the gateway). A non-nil trace gets the
// raw XML sent and received, for payloads go-xmpp does not parse (vcard-temp:x:update).
func (p *Prosody) Dial(name, password, resource string, trace io.Writer) (*xmpp.Client, error) {
	pool := x509.NewCertPool()
	pemBytes, err := os.ReadFile(p.CAFile)
	if err != nil {
		return nil, err
	}
	pool.AppendCertsFromPEM(pemBytes)
	o := xmpp.Options{
		Host:        p.Addr(),
		User:        name + "@" + remoteDomain,
		Password:    password,
		Resource:    resource,
		NoTLS:       true,
		StartTLS:    true,
		DialTimeout: 10 * time.Second,
		TLSConfig:   &tls.Config{ServerName: remoteDomain, RootCAs: pool},
		Debug:       trace != nil,
		DebugWriter: trace,
	}
	return o.NewClient()
}

// MustDial is Dial that fails the test on error; the client is closed at cleanup.
func (p *Prosody) MustDial(name, password, resource string) *xmpp.Client {
	p.t.Helper()
	return p.MustDialTraced(name, password, resource, nil)
}

// MustDialTraced is MustDial with a raw XML trace (see Dial).
func (p *Prosody) MustDialTraced(name, password, resource string, trace io.Writer) *xmpp.Client {
	p.t.Helper()
	c, err := p.Dial(name, password, resource, trace)
	if err != nil {
		p.t.Fatalf("direct login as %s: %v", name, err)
	}
	p.t.Cleanup(func() { CloseClient(p.t, c) })
	return c
}

// prosodySelfSigned makes a CA-capable self-signed certificate for names.
func prosodySelfSigned(t *testing.T, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func prosodyWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
