package testsrv

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
	"testing"
	"time"
)

// IRCd is a real ngircd started by a test on 127.0.0.1.
type IRCd struct {
	t       testing.TB
	dir     string
	conf    string
	Port    int
	TLSPort int // 0 unless started with TLS
	// CAFile is the PEM certificate that signs the TLS port's certificate.
	CAFile string
	proc   process
}

// IRCdOptions configure StartIRCd.
type IRCdOptions struct {
	TLS      bool   // also listen with TLS, on TLSPort, with a certificate signed by CAFile
	Password string // the server password (PASS)
}

// FreePort asks the kernel for a port that is free on 127.0.0.1 now.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePortOn(t, "127.0.0.1")
}

// FreePortOn asks the kernel for a port that is free on ip (another loopback address) now.
func FreePortOn(t testing.TB, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// StartIRCd writes an ngircd configuration into a temporary directory and runs
// `ngircd -n -f CONFIG`, with a TLS port too when withTLS; it is stopped by PID when the
// test ends.
func StartIRCd(t testing.TB, o IRCdOptions) *IRCd {
	t.Helper()
	dir := t.TempDir()
	// ngircd drops root privileges to "nobody", which must still read the files.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &IRCd{t: t, dir: dir, conf: filepath.Join(dir, "ngircd.conf")}
	var ssl string
	if o.TLS {
		cert, key := s.writeCert()
		ssl = fmt.Sprintf("[SSL]\nCertFile = %s\nKeyFile = %s\n", cert, key)
	}
	t.Cleanup(s.Stop)
	// A port found free can be taken by another test before ngircd binds it: then ngircd
	// is not what answers there, and it starts again on other ports.
	for attempt := 1; ; attempt++ {
		s.Port = FreePort(t)
		conf := fmt.Sprintf("[Global]\nName = irc.test\nInfo = test server\nListen = 127.0.0.1\nPorts = %d\nMotdPhrase = hello\n", s.Port)
		if o.Password != "" {
			conf += "Password = " + o.Password + "\n"
		}
		conf += "[Limits]\nMaxNickLength = 30\nMaxConnectionsIP = 0\nPingTimeout = 300\n"
		conf += "[Options]\nDNS = no\nIdent = no\nPAM = no\n"
		if o.TLS {
			s.TLSPort = FreePort(t)
			conf += ssl + fmt.Sprintf("Ports = %d\n", s.TLSPort)
		}
		if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		err := s.start()
		if err == nil {
			return s
		}
		s.Stop()
		if attempt == 3 {
			t.Fatalf("ngircd: %v", err)
		}
	}
}

// Addr is the plain-text address.
func (s *IRCd) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Start runs ngircd and waits until it answers on its port.
func (s *IRCd) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("ngircd: %v", err)
	}
}

func (s *IRCd) start() error {
	if err := s.proc.start(exec.Command("ngircd", "-n", "-f", s.conf)); err != nil {
		return err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.probe()
		if err == nil {
			return nil
		}
		if !s.proc.running() {
			return fmt.Errorf("ngircd exited at start (%v)", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ngircd does not answer on %s: %w", s.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// probe checks that ngircd, and not another test's server, answers on the port.
func (s *IRCd) probe() error { return probeIRC(s.Addr()) }

// probeIRC checks that one of our IRC servers (named irc.test), and not another test's
// server, answers at addr: it answers a PING before registration with its name.
func probeIRC(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("PING :testsrv\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, ":irc.test ") {
		return fmt.Errorf("not our IRC server on %s: %q (%v)", addr, line, err)
	}
	return nil
}

// Stop ends ngircd by its PID and waits for it.
func (s *IRCd) Stop() { s.proc.stop(10 * time.Second) }

// writeCert makes a CA and a server certificate for 127.0.0.1.
func (s *IRCd) writeCert() (certFile, keyFile string) {
	s.t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		s.t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		s.t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
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
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		s.t.Fatal(err)
	}
	s.CAFile = s.write("ca.pem", "CERTIFICATE", caDER)
	return s.write("cert.pem", "CERTIFICATE", der), s.write("key.pem", "EC PRIVATE KEY", keyDER)
}

func (s *IRCd) write(name, typ string, der []byte) string {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// IRCPeer is the "other IRC client" of the scenarios, driven by the test over a raw socket.
type IRCPeer struct {
	t    testing.TB
	Nick string
	conn net.Conn
	r    *bufio.Reader
}

// IRCServer is a started IRC server: an *IRCd or an *InspIRCd.
type IRCServer interface{ Addr() string }

// ConnectIRCPeer registers nick on s and waits for RPL_WELCOME.
func ConnectIRCPeer(t testing.TB, s IRCServer, nick string) *IRCPeer {
	t.Helper()
	return connectPeer(t, s, nick, nil)
}

// ConnectIRCv3Peer is ConnectIRCPeer with IRCv3 capabilities (e.g. "message-tags",
// "echo-message"): it requests them before registering and fails the test unless the
// server acknowledges them all.
func ConnectIRCv3Peer(t testing.TB, s IRCServer, nick string, caps ...string) *IRCPeer {
	t.Helper()
	return connectPeer(t, s, nick, caps)
}

func connectPeer(t testing.TB, s IRCServer, nick string, caps []string) *IRCPeer {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := &IRCPeer{t: t, Nick: nick, conn: c, r: bufio.NewReader(c)}
	t.Cleanup(func() { c.Close() })
	if len(caps) > 0 {
		p.Send("CAP REQ :" + strings.Join(caps, " "))
	}
	p.Send("NICK " + nick)
	p.Send("USER " + nick + " 0 * :" + nick)
	if len(caps) > 0 {
		if ack := p.Expect(" CAP "); !strings.Contains(ack, " ACK ") {
			t.Fatalf("IRC %s: capabilities %v refused: %q", nick, caps, ack)
		}
		p.Send("CAP END")
	}
	p.Expect(" 001 ")
	return p
}

// Send writes one IRC line.
func (p *IRCPeer) Send(line string) {
	p.t.Helper()
	_ = p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.conn.Write([]byte(line + "\r\n")); err != nil {
		p.t.Fatalf("%s: %v", p.Nick, err)
	}
}

// Expect reads lines (answering PINGs) until one contains want, and returns it.
func (p *IRCPeer) Expect(want string) string {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_ = p.conn.SetReadDeadline(deadline)
		line, err := p.r.ReadString('\n')
		if err != nil {
			p.t.Fatalf("IRC %s waiting for %q: %v", p.Nick, want, err)
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

// Restart stops ngircd and starts it again on the same ports.
func (s *IRCd) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}
