package testsrv

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
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Prosody is a real Prosody started by a test, serving one domain on one loopback address.
type Prosody struct {
	t       testing.TB
	dir     string
	conf    string
	IP      string // the address it listens on
	Domain  string // its VirtualHost
	Port    int    // c2s with STARTTLS
	TLSPort int    // c2s with direct TLS; 0 unless started with DirectTLS
	// CAFile is the PEM certificate to trust: the self-signed one StartProsody made, or ""
	// when the test passed its own (it knows its CA).
	CAFile string
	roots  *x509.CertPool // CAFile's certificate; nil with the test's own
	proc   process
}

// ProsodyOptions configure StartProsody.
type ProsodyOptions struct {
	IP     string // a loopback address to listen on; "" is 127.0.0.1
	Domain string // the VirtualHost; "" is example.test
	MUC    string // the domain of a MUC component; "" for none
	// MUCArchive loads mod_muc_mam on the MUC component: rooms give their messages
	// XEP-0359 stanza-ids, which groupchat reactions, replies and retractions name.
	MUCArchive bool
	DirectTLS  bool // also listen with direct TLS (XEP-0368), on TLSPort
	// CertPEM and KeyPEM are the certificate to serve, which need not be for Domain (tests
	// of name verification serve a wrong one); nil: a self-signed one for Domain and MUC.
	CertPEM, KeyPEM []byte
	Users           []string // name, password pairs registered before the start
	DebugLog        bool     // log at debug level instead of info
}

// prosodyConfig is the configuration StartProsody writes; %[n] are filled by config.
const prosodyConfig = `-- written by internal/testsrv
run_as_root = true
daemonize = false
pidfile = %[1]q
data_path = %[2]q
log = { %[3]s = %[4]q }
interfaces = { %[5]q }
c2s_ports = { %[6]d }
%[7]s
modules_enabled = { "tls", "saslauth", "disco", "roster", "ping", "vcard", "carbons" }
modules_disabled = { "s2s", "offline" }
authentication = "internal_hashed"
c2s_require_encryption = true
certificates = %[8]q
ssl = { certificate = %[9]q, key = %[10]q }
VirtualHost %[11]q
`

// prosodyMUC is appended to prosodyConfig for ProsodyOptions.MUC: rooms open at once, and
// any occupant may set the subject, as the group chat tests need.
const prosodyMUC = `Component %q "muc"
  muc_room_locking = false
  muc_room_default_change_subject = true
`

// StartProsody writes a configuration, the certificate and the users into a temporary
// directory and runs `prosody --config CONFIG`; it is stopped by PID when the test ends.
func StartProsody(t testing.TB, o ProsodyOptions) *Prosody {
	t.Helper()
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Domain == "" {
		o.Domain = "example.test"
	}
	dir := t.TempDir()
	p := &Prosody{t: t, dir: dir, conf: filepath.Join(dir, "prosody.cfg.lua"),
		IP: o.IP, Domain: o.Domain, Port: FreePortOn(t, o.IP)}
	// A port just closed may be handed out again at once: take another one.
	for o.DirectTLS && (p.TLSPort == 0 || p.TLSPort == p.Port) {
		p.TLSPort = FreePortOn(t, o.IP)
	}
	for _, d := range []string{"certs", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p.writeFile(p.conf, []byte(p.config(o)))
	for i := 0; i+1 < len(o.Users); i += 2 {
		p.Register(o.Users[i], o.Users[i+1])
	}
	t.Cleanup(p.Stop)
	p.Start()
	return p
}

// config writes the certificate and returns the configuration text for o.
func (p *Prosody) config(o ProsodyOptions) string {
	certPEM, keyPEM := o.CertPEM, o.KeyPEM
	if certPEM == nil {
		names := []string{o.Domain}
		if o.MUC != "" {
			names = append(names, o.MUC)
		}
		certPEM, keyPEM = p.selfSigned(names)
	}
	certs := filepath.Join(p.dir, "certs")
	crt, key := filepath.Join(certs, o.Domain+".crt"), filepath.Join(certs, o.Domain+".key")
	p.writeFile(crt, certPEM)
	p.writeFile(key, keyPEM)
	if o.CertPEM == nil {
		p.CAFile, p.roots = crt, x509.NewCertPool()
		p.roots.AppendCertsFromPEM(certPEM)
	}
	level, direct := "info", ""
	if o.DebugLog {
		level = "debug"
	}
	if o.DirectTLS {
		direct = fmt.Sprintf("c2s_direct_tls_ports = { %d }", p.TLSPort)
	}
	cfg := fmt.Sprintf(prosodyConfig, filepath.Join(p.dir, "prosody.pid"), filepath.Join(p.dir, "data"),
		level, filepath.Join(p.dir, "prosody.log"), o.IP, p.Port, direct, certs, crt, key, o.Domain)
	if o.MUC != "" {
		cfg += fmt.Sprintf(prosodyMUC, o.MUC)
		if o.MUCArchive {
			cfg += "  modules_enabled = { \"muc_mam\" }\n"
		}
	}
	return cfg
}

// Addr is the c2s (STARTTLS) address.
func (p *Prosody) Addr() string { return net.JoinHostPort(p.IP, strconv.Itoa(p.Port)) }

// TLSAddr is the direct TLS address; "" unless started with DirectTLS.
func (p *Prosody) TLSAddr() string {
	if p.TLSPort == 0 {
		return ""
	}
	return net.JoinHostPort(p.IP, strconv.Itoa(p.TLSPort))
}

// TLSConfig is a client configuration for Domain that trusts CAFile (the system roots
// when the test passed its own certificate).
func (p *Prosody) TLSConfig() *tls.Config {
	return &tls.Config{ServerName: p.Domain, RootCAs: p.roots}
}

// Register adds the account user@Domain with prosodyctl, which writes the data directory
// directly: it works before Start and while Prosody runs.
func (p *Prosody) Register(user, password string) {
	p.t.Helper()
	out, err := exec.Command("prosodyctl", "--config", p.conf, "register", user, p.Domain, password).CombinedOutput()
	if err != nil {
		// The output, not the command line: it would show the password.
		p.t.Fatalf("prosodyctl register %s: %v\n%s", user, err, out)
	}
}

// Start runs Prosody and waits until its ports accept connections; after Stop it starts
// it again on the same ports and data.
func (p *Prosody) Start() {
	p.t.Helper()
	out, err := os.OpenFile(filepath.Join(p.dir, "stdout.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("prosody", "--config", p.conf)
	cmd.Stdout, cmd.Stderr, cmd.Dir = out, out, p.dir
	if err := p.proc.start(cmd); err != nil {
		p.t.Fatalf("prosody: %v", err)
	}
	p.waitPort(p.Addr())
	if p.TLSPort != 0 {
		p.waitPort(p.TLSAddr())
	}
}

// waitPort waits, with room for a slow CI machine, until addr accepts connections.
func (p *Prosody) waitPort(addr string) {
	p.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if !p.proc.running() {
			p.t.Fatalf("prosody exited at start\n%s", p.Logs())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("prosody does not listen on %s: %v\n%s", addr, err, p.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop ends Prosody by its PID (SIGTERM, then SIGKILL if it lingers) and waits for it. It
// may be called twice, and on a Prosody paused with Signal(SIGSTOP).
func (p *Prosody) Stop() { p.proc.stop(20 * time.Second) }

// Restart stops Prosody and starts it again on the same ports and data.
func (p *Prosody) Restart() {
	p.t.Helper()
	p.Stop()
	p.Start()
}

// Signal sends sig to the running Prosody, e.g. SIGSTOP to make it unresponsive.
func (p *Prosody) Signal(sig os.Signal) {
	p.t.Helper()
	if !p.proc.running() {
		p.t.Fatal("prosody is not running")
	}
	if err := p.proc.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal prosody: %v", err)
	}
}

// Logs is Prosody's output and log file, for a failing test to show.
func (p *Prosody) Logs() string {
	var b strings.Builder
	for _, f := range []string{"stdout.txt", "prosody.log"} {
		data, _ := os.ReadFile(filepath.Join(p.dir, f))
		fmt.Fprintf(&b, "--- %s\n%s", f, data)
	}
	return b.String()
}

// selfSigned makes a CA-capable self-signed certificate for names, so that the one file
// is both what Prosody serves and what the client trusts.
func (p *Prosody) selfSigned(names []string) (certPEM, keyPEM []byte) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]},
		DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		p.t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func (p *Prosody) writeFile(path string, b []byte) {
	p.t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		p.t.Fatal(err)
	}
}
