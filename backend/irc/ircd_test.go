package irc_test

import (
	"bufio"
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
	"strings"
	"syscall"
	"testing"
	"time"
)

// ircd is a real ngircd started by a test on 127.0.0.1.
type ircd struct {
	t       testing.TB
	dir     string
	conf    string
	Port    int
	TLSPort int
	// CAFile is the PEM certificate that signs the TLS port's certificate.
	CAFile string
	cmd    *exec.Cmd
	exited chan struct{}
}

// ircdOptions configure startIRCd.
type ircdOptions struct {
	tls      bool
	password string
}

// freePort asks the kernel for a port that is free on 127.0.0.1 now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startIRCd writes an ngircd configuration into a temporary directory and runs
// `ngircd -n -f CONFIG`; the server is stopped (by PID) when the test ends.
func startIRCd(t testing.TB, o ircdOptions) *ircd {
	t.Helper()
	dir := t.TempDir()
	// ngircd drops root privileges to "nobody", which must still read the files.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &ircd{t: t, dir: dir, conf: filepath.Join(dir, "ngircd.conf"), Port: freePort(t)}
	conf := fmt.Sprintf("[Global]\nName = irc.test\nInfo = test server\nListen = 127.0.0.1\nPorts = %d\nMotdPhrase = hello\n", s.Port)
	if o.password != "" {
		conf += "Password = " + o.password + "\n"
	}
	conf += "[Limits]\nMaxNickLength = 30\nMaxConnectionsIP = 0\nPingTimeout = 300\n"
	conf += "[Options]\nDNS = no\nIdent = no\nPAM = no\n"
	if o.tls {
		s.TLSPort = freePort(t)
		cert, key := s.writeCert()
		conf += fmt.Sprintf("[SSL]\nCertFile = %s\nKeyFile = %s\nPorts = %d\n", cert, key, s.TLSPort)
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start runs ngircd and waits until its port accepts connections.
func (s *ircd) start() {
	s.t.Helper()
	s.cmd = exec.Command("ngircd", "-n", "-f", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("ngircd: %v", err)
	}
	s.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) {
		c.Wait()
		close(done)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-s.exited:
			s.t.Fatal("ngircd exited at start")
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("ngircd does not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends ngircd by its PID and waits for it.
func (s *ircd) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// restart stops ngircd and starts it again on the same ports.
func (s *ircd) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

// writeCert makes a CA and a server certificate for 127.0.0.1.
func (s *ircd) writeCert() (certFile, keyFile string) {
	s.t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		s.t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		s.t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	s.CAFile = s.write("ca.pem", "CERTIFICATE", caDER)
	return s.write("cert.pem", "CERTIFICATE", der), s.write("key.pem", "EC PRIVATE KEY", keyDER)
}

func (s *ircd) write(name, typ string, der []byte) string {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// peer is a second IRC client driven by the test over a raw socket.
type peer struct {
	t    testing.TB
	Nick string
	conn net.Conn
	r    *bufio.Reader
}

// connectPeer registers nick on s and waits for RPL_WELCOME.
func connectPeer(t testing.TB, s *ircd, nick string) *peer {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, Nick: nick, conn: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { c.Close() })
	p.Send("NICK " + nick)
	p.Send("USER " + nick + " 0 * :" + nick)
	p.Expect(" 001 ")
	return p
}

// Send writes one IRC line.
func (p *peer) Send(line string) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.conn.Write([]byte(line + "\r\n")); err != nil {
		p.t.Fatalf("%s: %v", p.Nick, err)
	}
}

// Expect reads lines (answering PINGs) until one contains want, and returns it.
func (p *peer) Expect(want string) string {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.conn.SetReadDeadline(deadline)
		line, err := p.r.ReadString('\n')
		if err != nil {
			p.t.Fatalf("%s waiting for %q: %v", p.Nick, want, err)
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "PING ") {
			p.Send("PONG " + line[5:])
			continue
		}
		if strings.Contains(line, want) {
			return line
		}
	}
}
