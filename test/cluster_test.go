package test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	xmpp "github.com/xmppo/go-xmpp"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/cluster"
)

// clusterNode is one spectrum2 instance of the cluster test, on its own loopback address.
type clusterNode struct {
	*Server
	name, ip, config string
}

func (n *clusterNode) addr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.Port)) }

// testCluster is three spectrum2 instances serving "localhost": xmpp1 (127.0.0.2, weight 3)
// and xmpp2 (127.0.0.3, weight 1) at priority 10, xmpp3 (127.0.0.4) a standby at priority
// 20, all with affinity on; xmpp1 also runs the DNS responder on 127.0.0.1.
type testCluster struct {
	nodes  []*clusterNode
	dns    string // the responder's address
	caFile string
	// statusPort is the [metrics] port of every node (each on its own address).
	statusPort int
	pool       *x509.CertPool
	settings   cluster.Settings
}

func startTestCluster(t *testing.T) *testCluster {
	t.Helper()
	dir := t.TempDir()
	c := &testCluster{dns: freeDNSAddr(t), statusPort: freePort(t)}
	certFile, keyFile := writeClusterCert(t, dir)
	c.caFile, c.pool = certFile, loadPool(t, certFile)
	members := ""
	var ms []cluster.Member
	for i, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		n := &clusterNode{name: "xmpp" + strconv.Itoa(i+1), ip: ip}
		n.Server = &Server{t: t, Dir: t.TempDir(), Port: freePort(t), log: &syncBuffer{}, done: make(chan struct{})}
		for n.TLSPort = freePort(t); n.TLSPort == n.Port; n.TLSPort = freePort(t) {
		}
		prio, weight := 10, []int{3, 1, 1}[i]
		if i == 2 {
			prio = 20
		}
		members += fmt.Sprintf("\n[[cluster.member]]\nname = %q\naddresses = [%q]\nport = %d\ntls_port = %d\npriority = %d\nweight = %d\n",
			n.name, ip, n.Port, n.TLSPort, prio, weight)
		ms = append(ms, cluster.Member{Name: n.name, Addresses: []string{ip}, Port: n.Port, TLSPort: n.TLSPort,
			Priority: uint16(prio), Weight: uint16(weight)})
		c.nodes = append(c.nodes, n)
	}
	c.settings = cluster.Settings{Domain: "localhost", Cluster: cluster.Config{Host: "xmpp1", Members: ms}}
	for i, n := range c.nodes {
		listen := ""
		if i == 0 {
			listen = fmt.Sprintf("listen = %q\n", c.dns)
		}
		n.config = fmt.Sprintf(`[service]
jid = "localhost"
server = %q
port = %d
tls_port = %d
backend = "builtin:demo"
data_dir = %q
working_dir = %q
cert = %q
key = %q

[logging]
level = "debug"
format = "json"

[metrics]
listen = "%s"

[limits]
max_conns_per_ip = 0
logins_per_minute_per_ip = 0

[dns]
%sttl = "1s"
health_interval = "200ms"
health_timeout = "3s"
fail_after = 2
rise_after = 1

[cluster]
host = %q
affinity = true
%s`, n.ip, n.Port, n.TLSPort, filepath.Join(n.Dir, "data"), filepath.Join(n.Dir, "run"), certFile, keyFile,
			net.JoinHostPort(n.ip, strconv.Itoa(c.statusPort)), listen, n.name, members)
		n.start(t)
	}
	return c
}

// start runs the daemon with n.config and waits until its c2s port accepts connections.
func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	path := filepath.Join(n.Dir, "spectrum2.toml")
	if err := os.WriteFile(path, []byte(n.config), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(binary, "run", "--config", path)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(n.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-n.done:
			t.Fatalf("%s exited during start-up:\n%s", n.name, n.Log())
		default:
		}
		if c, err := net.DialTimeout("tcp", n.addr(), time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not open %s within 60 s:\n%s", n.name, n.addr(), n.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill ends n and its backends at once with SIGKILL, as a crash would.
func (n *clusterNode) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.done
}

// listenUDPAndTCP binds one port on 127.0.0.1 for UDP and TCP, retrying when the port UDP
// got is taken for TCP.
func listenUDPAndTCP(t *testing.T) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
	}
	t.Fatal("no port free for both UDP and TCP")
	return nil, nil
}

// freeDNSAddr returns 127.0.0.1:PORT with PORT free for both UDP and TCP just now.
func freeDNSAddr(t *testing.T) string {
	t.Helper()
	pc, ln := listenUDPAndTCP(t)
	pc.Close()
	ln.Close()
	return pc.LocalAddr().String()
}

// writeClusterCert writes one self-signed certificate for "localhost" that every instance
// serves, as docs/scaling.md asks (the certificate is for the domain, not the host).
func writeClusterCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func loadPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	return pool
}

// query asks server for name/qtype over UDP (TCP when truncated), as a client's stub
// resolver would.
func query(t *testing.T, server, name string, qtype uint16) []dns.RR {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, false)
	cl := &dns.Client{Timeout: 5 * time.Second}
	r, _, err := cl.Exchange(m, server)
	if err == nil && r.Truncated {
		cl.Net = "tcp"
		r, _, err = cl.Exchange(m, server)
	}
	if err != nil {
		t.Fatalf("DNS %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	if r.Rcode != dns.RcodeSuccess {
		t.Fatalf("DNS %s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[r.Rcode])
	}
	return r.Answer
}

func srvTargets(t *testing.T, server string) []*dns.SRV {
	t.Helper()
	var out []*dns.SRV
	for _, rr := range query(t, server, "_xmpp-client._tcp.localhost", dns.TypeSRV) {
		if s, ok := rr.(*dns.SRV); ok {
			out = append(out, s)
		}
	}
	return out
}

// resolveTarget resolves an SRV target (or see-other-host name) to IPv4 HOST:PORT.
func resolveTarget(t *testing.T, server, host string, port uint16) string {
	t.Helper()
	for _, rr := range query(t, server, host, dns.TypeA) {
		if a, ok := rr.(*dns.A); ok {
			return net.JoinHostPort(a.A.String(), strconv.Itoa(int(port)))
		}
	}
	t.Fatalf("no A record for %s", host)
	return ""
}

// waitTargets waits until the responder's SRV answer names exactly want (member names).
func (c *testCluster) waitTargets(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got []string
		for _, s := range srvTargets(t, c.dns) {
			got = append(got, strings.TrimSuffix(s.Target, ".localhost."))
		}
		if fmt.Sprint(sortedCopy(got)) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SRV targets %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// connectOnce is one client connection: resolve SRV, order the targets (RFC 2782), connect
// to the first one that accepts and open a stream. It returns the target's member name.
func (c *testCluster) connectOnce(t *testing.T, rnd *mrand.Rand) string {
	t.Helper()
	ordered, _ := cluster.Order(srvTargets(t, c.dns), rnd)
	for _, s := range ordered {
		addr := resolveTarget(t, c.dns, s.Target, s.Port)
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprint(conn, streamHeader)
		got, err := readUntil(conn, nil, "</stream:features>")
		fmt.Fprint(conn, "</stream:stream>")
		conn.Close()
		if err != nil {
			t.Fatalf("stream open at %s: %v (%q)", addr, err, got)
		}
		return strings.TrimSuffix(s.Target, ".localhost.")
	}
	t.Fatal("no target accepted the connection")
	return ""
}

const streamHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`

// readUntil reads from conn (after what buf already holds) until one of wants arrives.
func readUntil(conn net.Conn, buf []byte, wants ...string) (string, error) {
	var b [4096]byte
	for {
		for _, w := range wants {
			if i := bytes.Index(buf, []byte(w)); i >= 0 {
				return string(buf[:i+len(w)]), nil
			}
		}
		n, err := conn.Read(b[:])
		buf = append(buf, b[:n]...)
		if err != nil {
			return string(buf), err
		}
	}
}

// rawLogin connects to addr, does STARTTLS and SASL PLAIN as user and returns what the
// server answered: "<success" or the whole stream error up to </stream:stream>.
func rawLogin(t *testing.T, addr string, pool *x509.CertPool, user, password string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	step := func(c net.Conn, send string, wants ...string) string {
		t.Helper()
		fmt.Fprint(c, send)
		got, err := readUntil(c, nil, wants...)
		if err != nil {
			t.Fatalf("%s: sent %q: %v (got %q)", addr, send, err, got)
		}
		return got
	}
	step(conn, streamHeader, "</stream:features>")
	step(conn, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<proceed")
	tc := tls.Client(conn, &tls.Config{ServerName: "localhost", RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("%s: TLS: %v", addr, err)
	}
	step(tc, streamHeader, "</stream:features>")
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	got := step(tc, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"+auth+"</auth>",
		"<success", "</stream:stream>", "</failure>")
	if i := strings.Index(got, "<stream:error>"); i >= 0 {
		return got[i:]
	}
	if strings.HasSuffix(got, "<success") {
		fmt.Fprint(tc, streamHeader+"</stream:stream>") // end the restarted stream politely
		_, _ = readUntil(tc, nil, "</stream:stream>")
		return "<success"
	}
	return got
}

// seeOtherHost extracts host and port from a see-other-host stream error, or "" if none.
func seeOtherHost(answer string) (host string, port uint16) {
	const open = `<see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">`
	i := strings.Index(answer, open)
	if i < 0 {
		return "", 0
	}
	rest := answer[i+len(open):]
	h, p, err := net.SplitHostPort(rest[:strings.Index(rest, "<")])
	if err != nil {
		return "", 0
	}
	n, _ := strconv.Atoi(p)
	return h, uint16(n)
}

// TestClusterThreeInstances drives three spectrum2 instances found through the built-in DNS
// responder: weights and priorities, affinity with see-other-host, a killed instance
// withdrawn, `srv records` parsed back and `srv check` reporting the dead instance.
func TestClusterThreeInstances(t *testing.T) {
	c := startTestCluster(t)
	c.waitTargets(t, "xmpp1", "xmpp2", "xmpp3")

	t.Run("weights and priorities", func(t *testing.T) {
		c.spread(t, 400, map[string]float64{"xmpp1": 0.75, "xmpp2": 0.25})
	})
	t.Run("affinity", func(t *testing.T) { c.affinity(t) })
	t.Run("srv records parse", func(t *testing.T) { c.records(t) })

	// xmpp2 dies: the responder withdraws it after its health checks fail, and the
	// clients land on xmpp1, the other member of the best priority.
	c.nodes[1].kill(t)
	c.waitTargets(t, "xmpp1", "xmpp3")
	t.Run("withdrawn", func(t *testing.T) { c.spread(t, 50, map[string]float64{"xmpp1": 1}) })
	t.Run("affinity after failure", func(t *testing.T) { c.affinityAfterFailure(t) })
	t.Run("srv check", func(t *testing.T) { c.srvCheck(t) })
}

// spread makes n connections and checks each member's share of them against its share
// of the weights within 0.08 (absolute); members not in want must get none. The tolerance
// covers chance (about 3.5 standard deviations at n = 400) and RFC 2782's own bias: its
// draw in [0, sum of weights] favours the record listed first (here 4/5 instead of 3/4).
// The random source is seeded, so the outcome does not change from run to run.
func (c *testCluster) spread(t *testing.T, n int, want map[string]float64) {
	rnd := mrand.New(mrand.NewPCG(42, 7))
	got := map[string]int{}
	for range n {
		got[c.connectOnce(t, rnd)]++
	}
	for name, share := range want {
		if d := float64(got[name])/float64(n) - share; d < -0.08 || d > 0.08 {
			t.Errorf("connections per member %v over %d, want shares %v ±0.08", got, n, want)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("connections per member %v over %d: %s should get none", got, n, name)
		}
	}
	t.Logf("connections per member over %d: %v", n, got)
}

// affinity: a user that xmpp2 owns logging in on xmpp1 is sent to xmpp2 with
// see-other-host before any legacy login; a client that follows it logs in there; one that
// comes back to xmpp1 instead is served there.
func (c *testCluster) affinity(t *testing.T) {
	n1, n2 := c.nodes[0], c.nodes[1]
	user := c.userOwnedBy(t, "xmpp2", "a")
	pw := n1.Password()
	n2.secrets = append(n2.secrets, pw)
	answer := rawLogin(t, n1.addr(), c.pool, user, pw)
	host, port := seeOtherHost(answer)
	if host != "xmpp2.localhost" || int(port) != n2.Port {
		t.Fatalf("login of %s on xmpp1: got %q, want see-other-host xmpp2.localhost:%d", user, answer, n2.Port)
	}
	// Follow the redirect: resolve the named host through the responder.
	addr := resolveTarget(t, c.dns, host, port)
	cl, err := (&xmpp.Options{
		Host: addr, User: user + "@localhost", Password: pw, NoTLS: true, StartTLS: true,
		DialTimeout: 10 * time.Second, Mechanism: "PLAIN",
		TLSConfig: &tls.Config{ServerName: "localhost", RootCAs: c.pool},
	}).NewClient()
	if err != nil {
		t.Fatalf("login at the owner %s: %v", addr, err)
	}
	cl.Close()
	// A client that ignores see-other-host comes back to xmpp1 and is served there.
	if got := rawLogin(t, n1.addr(), c.pool, user, pw); got != "<success" {
		t.Fatalf("second login on xmpp1 without following the redirect: %q", got)
	}
	// A user xmpp1 owns is not redirected.
	own := c.userOwnedBy(t, "xmpp1", "b")
	if got := rawLogin(t, n1.addr(), c.pool, own, pw); got != "<success" {
		t.Fatalf("login of %s, owned by xmpp1: %q", own, got)
	}
}

// affinityAfterFailure: with xmpp2 down, a user it owned logs in on xmpp1 directly once
// xmpp1's health checks saw xmpp2 fail.
func (c *testCluster) affinityAfterFailure(t *testing.T) {
	n1 := c.nodes[0]
	pw := n1.Password()
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; ; i++ {
		// A fresh user each try: a redirect would be remembered and hide the next one.
		u := fmt.Sprintf("after%d%%demo", i)
		if c.ownerOf(t, u) != "xmpp2" {
			continue
		}
		got := rawLogin(t, n1.addr(), c.pool, u, pw)
		if got == "<success" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a user of the dead xmpp2 is still refused by xmpp1: %q", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ownerOf computes the owner with all members up, the way every host does.
func (c *testCluster) ownerOf(t *testing.T, local string) string {
	t.Helper()
	a, err := cluster.NewAffinity(c.settings, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return a.Owner(jid.MustParse(local + "@localhost")).Name
}

// userOwnedBy returns a demo user name (localpart) that member owns.
func (c *testCluster) userOwnedBy(t *testing.T, member, prefix string) string {
	t.Helper()
	for i := range 1000 {
		u := fmt.Sprintf("%s%d%%demo", prefix, i)
		if c.ownerOf(t, u) == member {
			return u
		}
	}
	t.Fatalf("no user owned by %s", member)
	return ""
}

// records: `srv records` prints master-file lines that miekg/dns parses back into the
// configured SRV and A records.
func (c *testCluster) records(t *testing.T) {
	out := runSrv(t, 0, "records", "--config", filepath.Join(c.nodes[0].Dir, "spectrum2.toml"))
	zp := dns.NewZoneParser(strings.NewReader(out), "localhost.", "")
	srv, a := map[string]string{}, map[string]string{}
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch r := rr.(type) {
		case *dns.SRV:
			srv[r.Hdr.Name+" "+r.Target] = fmt.Sprintf("%d %d %d", r.Priority, r.Weight, r.Port)
		case *dns.A:
			a[r.Hdr.Name] = r.A.String()
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("srv records output does not parse: %v\n%s", err, out)
	}
	for i, n := range c.nodes {
		m := c.settings.Cluster.Members[i]
		target := n.name + ".localhost."
		if got, want := srv["_xmpp-client._tcp.localhost. "+target], fmt.Sprintf("%d %d %d", m.Priority, m.Weight, n.Port); got != want {
			t.Errorf("SRV _xmpp-client for %s: %q, want %q", n.name, got, want)
		}
		if got, want := srv["_xmpps-client._tcp.localhost. "+target], fmt.Sprintf("%d %d %d", m.Priority, m.Weight, n.TLSPort); got != want {
			t.Errorf("SRV _xmpps-client for %s: %q, want %q", n.name, got, want)
		}
		if a[target] != n.ip {
			t.Errorf("A %s: %q, want %s", target, a[target], n.ip)
		}
	}
}

// srvCheck serves the static zone of `srv records` (which still lists the dead xmpp2, as
// a zone nobody edited would) and runs `srv check` against it: it must report xmpp2 as
// failed, the others as OK, and exit 1; with --status-port it shows each host's load.
func (c *testCluster) srvCheck(t *testing.T) {
	n1 := c.nodes[0]
	user := c.userOwnedBy(t, "xmpp1", "load")
	cl, err := (&xmpp.Options{
		Host: n1.addr(), User: user + "@localhost", Password: n1.Password(), NoTLS: true, StartTLS: true,
		DialTimeout: 10 * time.Second, Mechanism: "PLAIN",
		TLSConfig: &tls.Config{ServerName: "localhost", RootCAs: c.pool},
	}).NewClient()
	if err != nil {
		t.Fatalf("login at xmpp1: %v", err)
	}
	defer cl.Close()
	out := runSrv(t, 0, "records", "--config", filepath.Join(n1.Dir, "spectrum2.toml"))
	resolver := serveZone(t, out)
	table := runSrv(t, 1, "check", "localhost", "--resolver", resolver, "--ca", c.caFile, "--timeout", "10s",
		"--status-port", strconv.Itoa(c.statusPort))
	t.Logf("srv check:\n%s", table)
	c.checkLoadTable(t, table)
	for _, n := range c.nodes {
		for _, line := range strings.Split(table, "\n") {
			if !strings.Contains(line, n.name+".localhost:") || !strings.Contains(line, "_tcp") {
				continue
			}
			dead := n == c.nodes[1]
			if dead != strings.Contains(line, "FAIL") || (!dead && !strings.HasSuffix(strings.TrimSpace(line), "OK")) {
				t.Errorf("srv check line for %s (dead %v): %q", n.name, dead, line)
			}
		}
	}
	if !strings.Contains(table, "4 of 6 target addresses OK") {
		t.Errorf("srv check summary:\n%s", table)
	}
}

// checkLoadTable checks the load table of srv check: xmpp1 has the session of the
// logged-in client and a backend, xmpp2 (dead) is unavailable.
func (c *testCluster) checkLoadTable(t *testing.T, table string) {
	t.Helper()
	_, loads, ok := strings.Cut(table, "\nTARGET")
	if !ok {
		t.Fatalf("no load table in:\n%s", table)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(loads, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			rows[strings.TrimSuffix(f[0], ".localhost")] = f
		}
	}
	if r := rows["xmpp1"]; len(r) < 5 || r[1] != net.JoinHostPort(c.nodes[0].ip, strconv.Itoa(c.statusPort)) || r[2] == "0" || r[4] == "0" {
		t.Errorf("load of xmpp1 (one client logged in): %q", r)
	}
	if r := rows["xmpp2"]; len(r) < 6 || r[5] != "unavailable:" {
		t.Errorf("load of the dead xmpp2: %q", r)
	}
	if r := rows["xmpp3"]; len(r) < 5 || r[2] != "0" {
		t.Errorf("load of xmpp3 (no client): %q", r)
	}
}

// runSrv runs `spectrum2 srv ARGS` and checks its exit code.
func runSrv(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"srv"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != wantCode {
		t.Fatalf("spectrum2 srv %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// serveZone answers queries from the master-file lines zone on 127.0.0.1 (UDP and TCP)
// until the test ends and returns the address.
func serveZone(t *testing.T, zone string) string {
	t.Helper()
	var rrs []dns.RR
	zp := dns.NewZoneParser(strings.NewReader(zone), "localhost.", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		for _, rr := range rrs {
			if strings.EqualFold(rr.Header().Name, q.Question[0].Name) && rr.Header().Rrtype == q.Question[0].Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		_ = w.WriteMsg(m)
	})
	pc, ln := listenUDPAndTCP(t)
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.ShutdownContext(ctx)
			<-done
		})
	}
	return pc.LocalAddr().String()
}
