package test

import (
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// blockingClient logs user in as resource res, sends its initial presence and, with
// list, asks for the blocklist (which makes it a resource that gets the pushes).
func blockingClient(t *testing.T, s *Server, user, pw, res string, list bool) *rawXMPP {
	t.Helper()
	c := dialRawXMPP(t, s)
	c.login(user, pw)
	c.bind(res)
	c.send(`<presence/>`)
	if list {
		c.send(`<iq type='get' id='bl-` + res + `'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
		c.iq("bl-" + res)
	}
	return c
}

// iq reads up to the end of the IQ with id and returns it.
func (r *rawXMPP) iq(id string) string {
	r.t.Helper()
	r.expect(`<iq`)
	head := `<iq` + r.expect(`id="`+id+`"`)
	head = head[strings.LastIndex(head, "<iq"):]
	rest := r.expect(`>`)
	if strings.HasSuffix(rest, "/>") {
		return head + rest
	}
	return head + rest + r.expect(`</iq>`)
}

// ping sends a ping to the server and returns what arrived before its result: every
// stanza queued for c before the ping was answered.
func (r *rawXMPP) ping(id string) string {
	r.t.Helper()
	r.send(`<iq type='get' id='` + id + `' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	return r.expect(`id="` + id + `"`)
}

// TestBlockingPushesAndErrors (XEP-0191): a block is pushed to the resources that asked
// for the blocklist, not to the others; a message to the blocked contact is answered
// not-acceptable with <blocked/>; unblock and unblock-all are pushed and lift it; the
// blocklist survives a daemon restart.
func TestBlockingPushesAndErrors(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	phone := blockingClient(t, s, "blk%demo", pw, "phone", true)
	laptop := blockingClient(t, s, "blk%demo", pw, "laptop", true)
	desk := blockingClient(t, s, "blk%demo", pw, "desk", false)

	phone.send(`<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='echo@localhost'/></block></iq>`)
	phone.iq("b1")
	for _, c := range []*rawXMPP{phone, laptop} {
		got := c.expect(`</iq>`)
		if !strings.Contains(got, `<block xmlns="urn:xmpp:blocking"><item jid="echo@localhost"`) {
			t.Errorf("no block push: %q", got)
		}
	}
	if got := desk.ping("p1"); strings.Contains(got, "urn:xmpp:blocking") {
		t.Errorf("a resource that never asked for the blocklist got a push: %q", got)
	}

	phone.send(`<message to='echo@localhost' type='chat' id='m1'><body>hello?</body></message>`)
	got := phone.expect(`</message>`)
	if !strings.Contains(got, `type="error"`) || !strings.Contains(got, `<not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"`) ||
		!strings.Contains(got, `<blocked xmlns="urn:xmpp:blocking:errors"`) {
		t.Errorf("message to a blocked contact: %q", got)
	}

	phone.send(`<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	if got := phone.iq("l1"); !strings.Contains(got, `<item jid="echo@localhost"`) {
		t.Errorf("blocklist: %q", got)
	}

	phone.send(`<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'><item jid='echo@localhost'/></unblock></iq>`)
	phone.iq("u1")
	if got := laptop.expect(`</iq>`); !strings.Contains(got, `<unblock xmlns="urn:xmpp:blocking"><item jid="echo@localhost"`) {
		t.Errorf("no unblock push: %q", got)
	}
	phone.expect(`<presence from="echo@localhost/bot"`) // shown again after the unblock
	phone.send(`<message to='echo@localhost' type='chat' id='m2'><body>back again</body></message>`)
	phone.expect(`<body>back again</body>`)

	phone.send(`<iq type='set' id='b2'><block xmlns='urn:xmpp:blocking'><item jid='later@localhost'/><item jid='example.org'/></block></iq>`)
	phone.iq("b2")
	phone.send(`<iq type='set' id='b3'><block xmlns='urn:xmpp:blocking'/></iq>`)
	if got := phone.iq("b3"); !strings.Contains(got, "bad-request") {
		t.Errorf("an empty block: %q", got)
	}

	s.Stop()
	s2 := restartServer(t, s)
	s2.secrets = s.secrets
	c := blockingClient(t, s2, "blk%demo", pw, "phone", false)
	c.send(`<iq type='get' id='l2'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	got = c.iq("l2")
	if !strings.Contains(got, `<item jid="later@localhost"/><item jid="example.org"/>`) || strings.Contains(got, "echo@") {
		t.Errorf("blocklist after a restart: %q", got)
	}
	c.send(`<iq type='set' id='u2'><unblock xmlns='urn:xmpp:blocking'/></iq>`)
	c.iq("u2")
	c.send(`<iq type='get' id='l3'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	if got := c.iq("l3"); strings.Contains(got, "<item") {
		t.Errorf("blocklist after unblock-all: %q", got)
	}
}

// TestBlockedContactNotDelivered: the demo contact later answers 2 s after a message; the
// user blocks it meanwhile, and the answer never reaches the user (nor its storage).
// Echo's presence stops too: the block shows it unavailable.
func TestBlockedContactNotDelivered(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	c := blockingClient(t, s, "quiet%demo", pw, "phone", false)
	c.expect(`<presence from="echo@localhost/bot"`)
	c.send(`<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>`)
	c.iq("l1")
	c.send(`<message to='later@localhost' type='chat' id='q1'><body>answer me</body></message>`)
	c.send(`<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='later@localhost'/><item jid='echo@localhost'/></block></iq>`)
	c.iq("b1")
	s.waitLogLines(t, 1, `"message":"message from a blocked JID dropped"`, `"jid":"quiet%demo@localhost"`)
	got := c.ping("p1")
	if strings.Contains(got, "later: answer me") {
		t.Errorf("a blocked contact's message was delivered: %q", got)
	}
	if !strings.Contains(got, `<presence type="unavailable" from="echo@localhost"`) {
		t.Errorf("no unavailable presence for the blocked echo: %q", got)
	}
	if strings.Contains(s.Log(), `"message":"message stored for the next login"`) {
		t.Error("a blocked contact's message was stored")
	}
}

// TestBlockedRawXMLContact: through a raw-XML backend (testdata/rawbackend.py), a blocked
// contact's IQ get is answered service-unavailable to the backend and its message is not
// delivered, while another contact of the same network still gets through.
func TestBlockedRawXMLContact(t *testing.T) {
	s := StartServerWith(t, rawBackend(t), "users_per_backend = 1\n")
	c := s.MustDial("alice%legacy.net@localhost", "x", "a")
	in := Listen(c)
	xmppSend(t, c, `<presence/>`)
	xmppSend(t, c, `<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='x\40legacy.net@localhost'/></block></iq>`)
	in.Wait(t, "the block result", 30*time.Second, xmppIQResult("b1"))
	xmppSend(t, c, `<message to='y\40legacy.net@localhost' type='chat'><body>iq</body></message>`)
	fromX := func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, `x\40legacy.net@localhost`)
	}
	if n := xmppCountUntil(t, in, fromX, xmppChat(`y\40legacy.net@localhost`, "chat", "iq refused")); n != 0 {
		t.Errorf("got %d messages from the blocked contact", n)
	}
}
