package test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// smConfig turns stream management on with short timers for the tests.
const smConfig = "[sm]\nenabled = true\nresume_timeout = \"60s\"\n"

// rawXMPP is a hand-written client for the stream management tests: go-xmpp has no
// XEP-0198.
type rawXMPP struct {
	t    *testing.T
	tcp  net.Conn // the socket under TLS, closed to simulate a lost connection
	c    net.Conn
	buf  []byte
	all  []byte // everything read, for counting
	smAt int    // len(all) when <enabled/> had been read: stanzas after it count
}

func dialRawXMPP(t *testing.T, s *Server) *rawXMPP {
	t.Helper()
	tcp, err := net.DialTimeout("tcp", s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tcp.Close() })
	r := &rawXMPP{t: t, tcp: tcp, c: tcp}
	r.open()
	r.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
	r.expect(`<proceed`)
	r.expect(`/>`)
	tc := tls.Client(tcp, &tls.Config{ServerName: "localhost", RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatalf("TLS: %v", err)
	}
	r.c, r.buf = tc, nil
	r.open()
	return r
}

func (r *rawXMPP) open() string {
	r.t.Helper()
	r.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
	return r.expect(`</stream:features>`)
}

func (r *rawXMPP) send(s string) {
	r.t.Helper()
	_ = r.c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// expect reads until want arrives and returns what was read up to it.
func (r *rawXMPP) expect(want string) string {
	r.t.Helper()
	return r.expectWithin(want, 30*time.Second)
}

func (r *rawXMPP) expectWithin(want string, d time.Duration) string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	var b [8192]byte
	for {
		if i := bytes.Index(r.buf, []byte(want)); i >= 0 {
			got := string(r.buf[:i+len(want)])
			r.buf = r.buf[i+len(want):]
			return got
		}
		n, err := r.c.Read(b[:])
		r.buf = append(r.buf, b[:n]...)
		r.all = append(r.all, b[:n]...)
		if err != nil {
			r.t.Fatalf("waiting for %q: %v; got %q", want, err, tail(string(r.buf), 20))
		}
	}
}

// login authenticates with SASL PLAIN and opens the restarted stream.
func (r *rawXMPP) login(user, password string) string {
	r.t.Helper()
	r.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` +
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)) + `</auth>`)
	r.expect(`<success`)
	r.expect(`/>`)
	return r.open()
}

func (r *rawXMPP) bind(res string) {
	r.t.Helper()
	r.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>` + res + `</resource></bind></iq>`)
	r.expect(`</jid>`)
}

var smIDRe = regexp.MustCompile(`<enabled xmlns="urn:xmpp:sm:3" id="([^"]+)" resume="true"`)

// enable turns on resumable stream management and returns the resumption id.
func (r *rawXMPP) enable() string {
	r.t.Helper()
	r.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`)
	m := smIDRe.FindStringSubmatch(r.expect(`<enabled`) + r.expect(`/>`))
	if m == nil {
		r.t.Fatal("no resumption id")
	}
	r.smAt = len(r.all) - len(r.buf)
	return m[1]
}

var stanzaStart = regexp.MustCompile(`<(message|presence|iq)[ >/]`)

// consumed is what expect has returned so far: complete elements only.
func (r *rawXMPP) consumed() string { return string(r.all[:len(r.all)-len(r.buf)]) }

// handled is the client's h (XEP-0198): the stanzas read since <enabled/>. The tests
// see no nested stanzas (no carbons), so counting start tags is enough.
func (r *rawXMPP) handled() int {
	return len(stanzaStart.FindAllString(r.consumed()[r.smAt:], -1))
}

// drop loses the connection like a phone: no </stream:stream>, no TLS close_notify.
func (r *rawXMPP) drop() { _ = r.tcp.Close() }

// syncAck sends <r/> and waits for the server's <a/>: everything queued before is read.
func (r *rawXMPP) syncAck() string {
	r.t.Helper()
	r.send(`<r xmlns='urn:xmpp:sm:3'/>`)
	return r.expect(`<a xmlns="urn:xmpp:sm:3"`)
}

// TestSMPhoneResumesEcho is the phone scenario: a message to echo, the socket is lost
// before the answer arrives, the client resumes once the server has noticed the loss and
// gets the answer exactly once; the legacy session never logged out and was not logged in
// twice.
func TestSMPhoneResumesEcho(t *testing.T) {
	s := StartServer(t, smConfig)
	pw := s.Password()
	c := dialRawXMPP(t, s)
	c.login("phone%demo", pw)
	c.bind("phone")
	id := c.enable()
	c.send(`<presence/>`)
	c.syncAck()
	// The server has the message (its <a/> says so) when the socket is lost; the answer
	// is on its way.
	c.send(`<message to='echo@localhost' type='chat' id='p1'><body>are you there?</body></message>`)
	c.syncAck()
	c.drop()
	h := c.handled()

	s.waitLogLines(t, 1, `"message":"session hibernated"`)
	c2 := dialRawXMPP(t, s)
	c2.login("phone%demo", pw)
	c2.send(`<resume xmlns='urn:xmpp:sm:3' previd='` + id + `' h='` + strconv.Itoa(h) + `'/>`)
	if got := c2.expect(`/>`); !strings.Contains(got, `<resumed xmlns="urn:xmpp:sm:3" previd="`+id+`"`) {
		t.Fatalf("resume answered %q", got)
	}
	const answer = `<body>are you there?</body>`
	if !strings.Contains(c.consumed(), answer) { // the usual case: it had not arrived
		c2.expect(answer)
	}
	// The session goes on without a new initial presence or bind. The echo of p2 passes
	// through the router and the backend after the first answer: a second copy of that
	// answer would have arrived before it.
	c2.send(`<message to='echo@localhost' type='chat' id='p2'><body>still here</body></message>`)
	c2.expect(`<body>still here</body>`)
	if n := strings.Count(c.consumed(), answer) + strings.Count(string(c2.all), answer); n != 1 {
		t.Errorf("echo's answer arrived %d times, want once", n)
	}
	checkOneLegacySession(t, s, "phone%demo@localhost")
}

// checkOneLegacySession reads the daemon's log: one LOGIN and no LOGOUT for user.
func checkOneLegacySession(t *testing.T, s *Server, user string) {
	t.Helper()
	var logins, logouts int
	for _, line := range strings.Split(s.Log(), "\n") {
		if !strings.Contains(line, user) {
			continue
		}
		if strings.Contains(line, "LOGIN sent") {
			logins++
		}
		if strings.Contains(line, "legacy session logged out") {
			logouts++
		}
	}
	if logins != 1 || logouts != 0 {
		t.Errorf("legacy session: %d LOGIN, %d LOGOUT; want 1 and 0", logins, logouts)
	}
}

// TestSMTimeoutDeliversAtNextLogin: nobody resumes; the unacknowledged echo is stored for the
// next login (offline messages) and arrives at its initial presence with <delay/>.
func TestSMTimeoutDeliversAtNextLogin(t *testing.T) {
	s := StartServer(t, "[sm]\nenabled = true\nresume_timeout = \"1s\"\nlinger = \"60s\"\n")
	pw := s.Password()
	c := dialRawXMPP(t, s)
	c.login("late%demo", pw)
	c.bind("phone")
	c.enable()
	c.send(`<message to='echo@localhost' type='chat' id='l1'><body>keep this for me</body></message>`)
	c.syncAck()
	c.drop()

	// resume_timeout passes: c2s ends the session and the router keeps what it never
	// acknowledged for the next login.
	s.waitLogLines(t, 1, `"message":"resource closed"`, `"resource":"phone"`, `"jid":"late%demo@localhost"`)
	c2 := dialRawXMPP(t, s)
	c2.login("late%demo", pw)
	c2.bind("laptop")
	c2.send(`<presence/>`) // stored messages come with the initial presence (XEP-0160)
	got := c2.expect(`<body>keep this for me</body>`) + c2.expect(`</message>`)
	if !strings.Contains(got, `<delay xmlns="urn:xmpp:delay"`) {
		t.Errorf("no <delay/>: %q", got)
	}
	checkOneLegacySession(t, s, "late%demo@localhost")
}

// TestSlixmppResumes: an independent XEP-0198 implementation (slixmpp's xep_0198)
// enables, loses its connection and resumes against the real binary.
func TestSlixmppResumes(t *testing.T) {
	s := StartServer(t, smConfig)
	pw := s.Password()
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "sm_resume.py"),
		"--jid", "slix%demo@localhost", "--port", strconv.Itoa(s.Port), "--ca", ca, "--debug")
	cmd.Env = append(os.Environ(), "SM_PASSWORD="+pw)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || !strings.Contains(out.String(), "RESUMED-OK") {
		t.Fatalf("slixmpp client: %v\n%s", err, tail(out.String(), 60))
	}
	checkOneLegacySession(t, s, "slix%demo@localhost")
}

// TestSMTimeoutDeliversToOtherResource: nobody resumes; the echo the phone never
// acknowledged goes to the user's other resource, with <delay/>.
func TestSMTimeoutDeliversToOtherResource(t *testing.T) {
	s := StartServer(t, "[sm]\nenabled = true\nresume_timeout = \"1s\"\n")
	pw := s.Password()
	laptop := dialRawXMPP(t, s)
	laptop.login("two%demo", pw)
	laptop.bind("laptop")
	laptop.send(`<presence/>`)
	laptop.expect(`<presence from="echo@localhost/bot"`)

	phone := dialRawXMPP(t, s)
	phone.login("two%demo", pw)
	phone.bind("phone")
	phone.enable()
	phone.send(`<message to='echo@localhost' type='chat' id='o1'><body>for the other one</body></message>`)
	phone.syncAck()
	phone.drop()

	got := laptop.expect(`<body>for the other one</body>`) + laptop.expect(`</message>`)
	if !strings.Contains(got, `<delay xmlns="urn:xmpp:delay"`) {
		t.Errorf("no <delay/>: %q", got)
	}
	checkOneLegacySession(t, s, "two%demo@localhost")
}
