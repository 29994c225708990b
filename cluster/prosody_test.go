package cluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// prosody is a real Prosody server started by a test as its child process, serving
// example.test on one loopback address with c2s (STARTTLS) and direct TLS ports.
type prosody struct {
	t             *testing.T
	dir, ip       string
	port, tlsPort int
	cmd           *exec.Cmd
	exited        chan struct{}
}

const prosodyConfig = `-- written by the spectrum2 cluster tests
run_as_root = true
daemonize = false
pidfile = %[1]q
data_path = %[2]q
log = { debug = %[3]q }
interfaces = { %[4]q }
c2s_ports = { %[5]d }
c2s_direct_tls_ports = { %[6]d }
modules_enabled = { "tls", "saslauth", "disco", "roster", "ping" }
modules_disabled = { "s2s" }
certificates = %[7]q
ssl = { certificate = %[8]q, key = %[9]q }
VirtualHost %[10]q
`

// newProsody writes a config into a fresh directory (the certificate need not be for
// domain: tests of name verification serve a wrong one); start runs it.
func newProsody(t *testing.T, ip, domain string, certPEM, keyPEM []byte) *prosody {
	t.Helper()
	p := &prosody{t: t, dir: t.TempDir(), ip: ip, port: freePort(t, ip), tlsPort: freePort(t, ip)}
	certs := filepath.Join(p.dir, "certs")
	data := filepath.Join(p.dir, "data")
	for _, d := range []string{certs, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	crt, key := filepath.Join(certs, domain+".crt"), filepath.Join(certs, domain+".key")
	writeFile(t, crt, certPEM)
	writeFile(t, key, keyPEM)
	cfg := fmt.Sprintf(prosodyConfig, filepath.Join(p.dir, "prosody.pid"), data, p.logPath(),
		ip, p.port, p.tlsPort, certs, crt, key, domain)
	writeFile(t, filepath.Join(p.dir, "prosody.cfg.lua"), []byte(cfg))
	return p
}

func (p *prosody) logPath() string { return filepath.Join(p.dir, "prosody.log") }

// start runs Prosody and waits until both ports accept connections; the test's cleanup
// stops it by PID.
func (p *prosody) start() {
	t := p.t
	t.Helper()
	out, err := os.OpenFile(filepath.Join(p.dir, "stdout.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("prosody", "--config", filepath.Join(p.dir, "prosody.cfg.lua"))
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

// waitPort waits (with room for a slow CI machine) until port accepts connections.
func (p *prosody) waitPort(port int) {
	addr := net.JoinHostPort(p.ip, strconv.Itoa(port))
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

// freePort returns a TCP port that was free on ip a moment ago.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
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
