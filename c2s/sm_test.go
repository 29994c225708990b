package c2s

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

func smServer(t *testing.T, a *testAuth, edit func(*Config)) *Server {
	t.Helper()
	return testServer(t, a, func(c *Config) {
		c.SM = SMConfig{Enabled: true, AckEvery: 1000, AckAfter: time.Hour, ResumeTimeout: time.Minute}
		if edit != nil {
			edit(c)
		}
	})
}

var enabledID = regexp.MustCompile(`<enabled xmlns="urn:xmpp:sm:3" id="([A-Za-z0-9_-]+)" resume="true" max="(\d+)"/>`)

// smLogin logs in, binds resource and enables resumable stream management.
func smLogin(t *testing.T, s *Server, a *testAuth, user, password, resource string) (*rawClient, *Session, string, string) {
	t.Helper()
	r := dialRaw(t, s)
	r.login(user, password)
	full := r.bind(resource)
	sess := recv(t, a.binds, "Bind")
	r.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`)
	m := enabledID.FindStringSubmatch(r.expect(`/>`))
	if m == nil {
		t.Fatalf("no <enabled/> with an id")
	}
	return r, sess, full, m[1]
}

func msg(to, id string) *xmpp.Element {
	return xmpp.New(xmpp.NSClient, "message", "to", to, "id", id, "type", "chat").Append(
		xmpp.New(xmpp.NSClient, "body").AppendText("text " + id))
}

func sendAll(t *testing.T, sess *Session, to string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := sess.Send(msg(to, id)); err != nil {
			t.Fatal(err)
		}
	}
}

// resumeOn opens a new connection for user and resumes id having handled h stanzas.
func resumeOn(t *testing.T, s *Server, user, password, id string, h int) (*rawClient, string) {
	t.Helper()
	r := dialRaw(t, s)
	feats := r.login(user, password)
	if !strings.Contains(feats, `<sm xmlns="urn:xmpp:sm:3"/>`) || !strings.Contains(feats, `<csi xmlns="urn:xmpp:csi:0"/>`) {
		t.Fatalf("features after SASL: %q", feats)
	}
	r.send(`<resume xmlns='urn:xmpp:sm:3' previd='` + id + `' h='` + strconv.Itoa(h) + `'/>`)
	return r, r.expect(`/>`)
}

func TestSMEnable(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r := dialRaw(t, s)
	feats := r.secure()
	if strings.Contains(feats, "urn:xmpp:sm:3") {
		t.Errorf("stream management offered before SASL: %q", feats)
	}
	r.send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<failed xmlns="urn:xmpp:sm:3"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`)
	r.send(`<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>`)
	r.expect(`<failed xmlns="urn:xmpp:sm:3"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`)
	r.auth(plain("", "alice", "secret"))
	r.expect(`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`)
	r.open()
	r.send(`<enable xmlns='urn:xmpp:sm:3'/>`) // before bind
	r.expect(`<failed xmlns="urn:xmpp:sm:3"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`)
	r.bind("desk")
	recv(t, a.binds, "Bind")
	r.send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<enabled xmlns="urn:xmpp:sm:3"/>`)
	r.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`)
	r.expect(`<failed xmlns="urn:xmpp:sm:3" h="0"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`)
	r.send(`<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>`) // after bind
	r.expect(`<failed xmlns="urn:xmpp:sm:3" h="0"><unexpected-request`)

	_, _, _, id := smLogin(t, s, a, "alice", "secret", "phone")
	if len(id) < 22 { // 128 bits in base64
		t.Errorf("resumption id %q is too short", id)
	}
}

func TestSMAcksBothWays(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, func(c *Config) { c.SM.AckEvery = 4 })
	r, sess, full, _ := smLogin(t, s, a, "alice", "secret", "phone")

	r.send(`<message to='bob@` + testDomain + `'><body>1</body></message><presence/>`)
	r.send(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`)
	r.send(`<r xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<a xmlns="urn:xmpp:sm:3" h="3"/>`)

	sendAll(t, sess, full, "m1", "m2", "m3")
	// The session result and three messages: ack_every stanzas, then <r/>.
	got := r.expect(`<r xmlns="urn:xmpp:sm:3"/>`)
	if strings.Count(got, "<message") != 3 {
		t.Errorf("want 3 messages before <r/>, got %q", got)
	}
	r.send(`<a xmlns='urn:xmpp:sm:3' h='2'/>`)
	waitUnacked(t, sess, 2)
	r.send(`<a xmlns='urn:xmpp:sm:3' h='4'/>`)
	waitUnacked(t, sess, 0)
}

func TestSMAckAfterTimeout(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, func(c *Config) { c.SM.AckAfter = 200 * time.Millisecond })
	r, sess, full, _ := smLogin(t, s, a, "alice", "secret", "phone")
	sendAll(t, sess, full, "m1")
	r.expect(`</message>`)
	r.expect(`<r xmlns="urn:xmpp:sm:3"/>`)
}

func waitUnacked(t *testing.T, sess *Session, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sess.mu.Lock()
		got := len(sess.sm.unacked)
		sess.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("unacknowledged: %d, want %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSMWrapAround: h counts modulo 2^32 in both directions (XEP-0198 section 4).
func TestSMWrapAround(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r, sess, full, _ := smLogin(t, s, a, "alice", "secret", "phone")
	const top = 1<<32 - 2
	sess.mu.Lock()
	sess.sm.outH, sess.sm.ackedH = top, top
	sess.mu.Unlock()
	sess.received.Store(1<<32 - 1)

	sendAll(t, sess, full, "m1", "m2", "m3")
	r.expect(`id="m3"`)
	r.send(`<a xmlns='urn:xmpp:sm:3' h='1'/>`)
	waitUnacked(t, sess, 0)
	r.send(`<presence/><presence/><r xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<a xmlns="urn:xmpp:sm:3" h="1"/>`)
}

func TestSMHandledCountTooHigh(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r, sess, full, _ := smLogin(t, s, a, "alice", "secret", "phone")
	sendAll(t, sess, full, "m1", "m2")
	r.expect(`id="m2"`)
	r.send(`<a xmlns='urn:xmpp:sm:3' h='5'/>`)
	got := r.expectStreamError("undefined-condition")
	if !strings.Contains(got, `<handled-count-too-high xmlns="urn:xmpp:sm:3" h="5" send-count="2"/>`) {
		t.Errorf("stream error: %q", got)
	}
	recv(t, a.handler.closed, "Closed")
}

// TestSMResume drops the socket, queues meanwhile and resumes: every stanza the client
// did not acknowledge, then the queued ones, exactly once, in order.
func TestSMResume(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r, sess, full, id := smLogin(t, s, a, "alice", "secret", "phone")
	r.send(`<presence/>`)
	recv(t, a.handler.stanzas, "presence")
	sendAll(t, sess, full, "m1", "m2", "m3")
	r.expect(`id="m3"`)
	_ = r.c.Close() // the phone loses its connection; m2 and m3 were never acknowledged

	waitHibernated(t, sess)
	sendAll(t, sess, full, "m4", "m5")
	r2, got := resumeOn(t, s, "alice", "secret", id, 1)
	if want := `<resumed xmlns="urn:xmpp:sm:3" previd="` + id + `" h="1"/>`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	recv(t, a.released, "Release of the resuming login")
	rest := r2.expect(`id="m5"`)
	if ids := messageIDs(rest); strings.Join(ids, ",") != "m2,m3,m4,m5" {
		t.Errorf("resent %v, want m2..m5 once each", ids)
	}
	// The session goes on: stanzas flow both ways on the new connection.
	r2.send(`<message to='bob@` + testDomain + `'><body>back</body></message>`)
	if el := recv(t, a.handler.stanzas, "message"); el.From() != full {
		t.Errorf("from %q", el.From())
	}
	r2.send(`<r xmlns='urn:xmpp:sm:3'/>`)
	r2.expect(`<a xmlns="urn:xmpp:sm:3" h="2"/>`)
	select {
	case <-a.handler.closed:
		t.Error("the router heard Closed for a resumed session")
	default:
	}
}

func waitHibernated(t *testing.T, sess *Session) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !sess.isHibernated() {
		if time.Now().After(deadline) {
			t.Fatal("the session was not hibernated")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var idAttr = regexp.MustCompile(`<message[^>]* id="([^"]+)"`)

func messageIDs(s string) []string {
	var ids []string
	for _, m := range idAttr.FindAllStringSubmatch(s, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestSMResumeRefused: an unknown id and another user's id fail alike.
func TestSMResumeRefused(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	_, _, _, bobID := smLogin(t, s, a, "bob", "hunter2", "desk")
	const notFound = `<failed xmlns="urn:xmpp:sm:3"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>`
	for name, id := range map[string]string{"unknown": "AAAAAAAAAAAAAAAAAAAAAAAA", "another user's": bobID} {
		r, got := resumeOn(t, s, "alice", "secret", id, 0)
		if got += r.expect("</failed>"); got != notFound {
			t.Errorf("%s id: %q", name, got)
		}
		// The stream goes on: the client binds a fresh resource.
		r.bind("fresh")
		recv(t, a.binds, "Bind")
	}
}

// TestSMResumeTakesOver: a resume on a live connection moves the session; the old
// connection gets <conflict/>.
func TestSMResumeTakesOver(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, nil)
	r, sess, full, id := smLogin(t, s, a, "alice", "secret", "phone")
	sendAll(t, sess, full, "m1", "m2")
	r.expect(`id="m2"`)
	r2, got := resumeOn(t, s, "alice", "secret", id, 0)
	if !strings.HasPrefix(got, `<resumed xmlns="urn:xmpp:sm:3"`) {
		t.Fatalf("got %q", got)
	}
	r.expectStreamError("conflict")
	if ids := messageIDs(r2.expect(`id="m2"`)); strings.Join(ids, ",") != "m1,m2" {
		t.Errorf("moved %v", ids)
	}
	sendAll(t, sess, full, "m3")
	r2.expect(`id="m3"`)
}

// TestSMTimeout: a hibernated session nobody resumes ends; the router gets the stanzas
// the client never acknowledged, then those queued meanwhile.
func TestSMTimeout(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, func(c *Config) { c.SM.ResumeTimeout = 500 * time.Millisecond })
	r, sess, full, id := smLogin(t, s, a, "alice", "secret", "phone")
	sendAll(t, sess, full, "m1", "m2")
	r.expect(`id="m2"`)
	r.send(`<a xmlns='urn:xmpp:sm:3' h='1'/>`)
	waitUnacked(t, sess, 1)
	_ = r.c.Close()
	waitHibernated(t, sess)
	sendAll(t, sess, full, "m3")
	lost := recv(t, a.handler.lost, "Closed")
	if ids := elementIDs(lost); ids != "m2,m3" {
		t.Errorf("undelivered %s, want m2,m3", ids)
	}
	_, got := resumeOn(t, s, "alice", "secret", id, 1)
	if !strings.Contains(got, "<item-not-found") {
		t.Errorf("resume after timeout: %q", got)
	}
}

func elementIDs(els []*xmpp.Element) string {
	var ids []string
	for _, el := range els {
		ids = append(ids, el.ID())
	}
	return strings.Join(ids, ",")
}

// TestSMQueueOverflow: a hibernated session whose queue overflows ends as on timeout.
func TestSMQueueOverflow(t *testing.T) {
	a := newTestAuth()
	s := smServer(t, a, func(c *Config) { c.SM.MaxQueue = 4 })
	r, sess, full, _ := smLogin(t, s, a, "alice", "secret", "phone")
	_ = r.c.Close()
	waitHibernated(t, sess)
	sendAll(t, sess, full, "m1", "m2", "m3", "m4")
	if err := sess.Send(msg(full, "m5")); err != ErrQueueFull {
		t.Fatalf("Send past max_queue: %v", err)
	}
	lost := recv(t, a.handler.lost, "Closed")
	if ids := elementIDs(lost); ids != "m1,m2,m3,m4" {
		t.Errorf("undelivered %s", ids)
	}
}

// TestSMUnackedRoundTrip: stanzas kept serialised for a resumption come back unchanged.
func TestSMUnackedRoundTrip(t *testing.T) {
	msg := xmpp.New(xmpp.NSClient, "message", "to", "a@example.test/r", "id", `q"'<&>`, "type", "chat")
	msg.Attrs = append(msg.Attrs, xmpp.Attr{Space: xmpp.NSXML, Local: "lang", Value: "de"})
	msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText("a < b & \"c\" > 'd'\n  indented"))
	msg.Append(xmpp.New("http://jabber.org/protocol/chatstates", "active"))
	html := xmpp.New("http://jabber.org/protocol/xhtml-im", "html")
	html.Append(xmpp.New("http://www.w3.org/1999/xhtml", "body").AppendText("x").
		Append(xmpp.New("http://www.w3.org/1999/xhtml", "b").AppendText("bold")).AppendText("y"))
	msg.Append(html)
	pres := xmpp.New(xmpp.NSClient, "presence", "from", "echo@example.test").
		Append(xmpp.New("vcard-temp:x:update", "x").Append(xmpp.New("vcard-temp:x:update", "photo")))
	iq := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", "r1").
		Append(xmpp.New("jabber:iq:roster", "query", "ver", "1").
			Append(xmpp.New("jabber:iq:roster", "item", "jid", "x@example.test", "name", "X").
				Append(xmpp.New("jabber:iq:roster", "group").AppendText("Buddies"))))
	els := []*xmpp.Element{msg, pres, iq}
	s := &Session{srv: &Server{}}
	s.sm.keepUnacked(els)
	got := s.parseUnacked()
	if len(got) != len(els) {
		t.Fatalf("got %d stanzas back, want %d", len(got), len(els))
	}
	for i := range els {
		want, back := string(els[i].AppendXML(nil, xmpp.NSClient)), string(got[i].AppendXML(nil, xmpp.NSClient))
		if want != back {
			t.Errorf("stanza %d changed:\nkept %s\nback %s", i, want, back)
		}
	}
}
