package xmpp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// domain is the remote XMPP server's domain in these tests; muc its MUC service.
const (
	domain = "example.test"
	muc    = "conference.example.test"
)

// prosody is a real Prosody started by a test (copied from cluster/prosody_test.go and
// adapted): domain with c2s (STARTTLS) and direct TLS on loopback, a MUC component, and
// the certificate's PEM file to trust.
type prosody struct {
	t             *testing.T
	dir           string
	port, tlsPort int
	caFile        string
	cmd           *exec.Cmd
	exited        chan struct{}
}

const prosodyConfig = `-- written by the backend/xmpp tests
run_as_root = true
daemonize = false
pidfile = %[1]q
data_path = %[2]q
log = { info = %[3]q }
interfaces = { "127.0.0.1" }
c2s_ports = { %[4]d }
c2s_direct_tls_ports = { %[5]d }
modules_enabled = { "tls", "saslauth", "disco", "roster", "ping", "vcard", "carbons" }
modules_disabled = { "s2s", "offline" }
authentication = "internal_hashed"
c2s_require_encryption = true
certificates = %[6]q
ssl = { certificate = %[7]q, key = %[8]q }
VirtualHost %[9]q
Component %[10]q "muc"
  muc_room_locking = false
  muc_room_default_change_subject = true
`

// startProsody writes a config, a self-signed certificate and the users (name, password
// pairs) into a fresh directory and runs Prosody; the test's cleanup stops it by PID.
func startProsody(t *testing.T, users ...string) *prosody {
	t.Helper()
	p := &prosody{t: t, dir: t.TempDir(), port: freePort(t), tlsPort: freePort(t)}
	certs, data := filepath.Join(p.dir, "certs"), filepath.Join(p.dir, "data")
	for _, d := range []string{certs, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM := selfSigned(t, domain, muc)
	crt, key := filepath.Join(certs, domain+".crt"), filepath.Join(certs, domain+".key")
	writeFile(t, crt, certPEM)
	writeFile(t, key, keyPEM)
	p.caFile = crt
	cfg := fmt.Sprintf(prosodyConfig, filepath.Join(p.dir, "prosody.pid"), data,
		filepath.Join(p.dir, "prosody.log"), p.port, p.tlsPort, certs, crt, key, domain, muc)
	writeFile(t, p.cfgPath(), []byte(cfg))
	for i := 0; i+1 < len(users); i += 2 {
		p.register(users[i], users[i+1])
	}
	p.start()
	return p
}

func (p *prosody) cfgPath() string { return filepath.Join(p.dir, "prosody.cfg.lua") }

func (p *prosody) register(user, password string) {
	out, err := exec.Command("prosodyctl", "--config", p.cfgPath(), "register", user, domain, password).CombinedOutput()
	if err != nil {
		p.t.Fatalf("prosodyctl register %s: %v\n%s", user, err, out)
	}
}

// start runs Prosody and waits until it accepts connections.
func (p *prosody) start() {
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
	go func(done chan struct{}) { cmd.Wait(); close(done) }(p.exited)
	t.Cleanup(p.stop)
	for _, port := range []int{p.port, p.tlsPort} {
		p.waitPort(port)
	}
}

func (p *prosody) waitPort(port int) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("prosody exited during start-up\n%s", p.logs())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("prosody does not listen on %s\n%s", addr, p.logs())
}

// stop ends Prosody by PID: SIGTERM, then SIGKILL if it lingers. It can be called twice.
func (p *prosody) stop() {
	if p.cmd == nil {
		return
	}
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
	}
}

func (p *prosody) logs() string {
	var s string
	for _, f := range []string{"stdout.txt", "prosody.log"} {
		b, _ := os.ReadFile(filepath.Join(p.dir, f))
		s += "--- " + f + "\n" + string(b)
	}
	return s
}

// config is the backend's Config for this server.
func (p *prosody) config(t *testing.T) Config {
	t.Helper()
	c := Config{Server: net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)), CAFile: p.caFile}
	if err := c.loadRoots(); err != nil {
		t.Fatal(err)
	}
	return c.withDefaults()
}

// selfSigned makes a CA-capable self-signed certificate for names.
func selfSigned(t *testing.T, names ...string) (certPEM, keyPEM []byte) {
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

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
