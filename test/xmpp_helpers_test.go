package test

// Helpers of the XMPP backend tests (xmpp_test.go): raw sends, matchers for go-xmpp's
// stanza types, and raw-XML traces for the payloads go-xmpp drops.

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// xmppPNG is the photo of spec 5.3's avatar scenario (a 1x1 PNG).
const xmppPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// xmppDialTraced is Server.MustDial with go-xmpp's raw XML trace into trace, for payloads
// go-xmpp does not parse (MUC status codes).
func xmppDialTraced(t *testing.T, s *Server, user, password, resource string, trace io.Writer) *xmpp.Client {
	t.Helper()
	o := xmpp.Options{
		Host: s.Addr(), User: user, Password: password, Resource: resource,
		NoTLS: true, StartTLS: true, DialTimeout: 10 * time.Second, Mechanism: "PLAIN",
		TLSConfig: &tls.Config{ServerName: "localhost", RootCAs: s.CertPool()},
		Debug:     true, DebugWriter: trace,
	}
	c, err := o.NewClient()
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	t.Cleanup(func() { CloseClient(t, c) })
	return c
}

// xmppStatus110 finds MUC self-presence status codes in a trace.
var xmppStatus110 = regexp.MustCompile(`<status[^>]*code=["']110["']`)

// xmppSend writes raw XML to c.
func xmppSend(t *testing.T, c *xmpp.Client, x string) {
	t.Helper()
	if _, err := c.SendOrg(x); err != nil {
		t.Fatal(err)
	}
}

// xmppPresence matches a presence of type typ from a JID starting with fromPrefix.
func xmppPresence(fromPrefix, typ string) func(any) bool {
	return func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, fromPrefix) && p.Type == typ
	}
}

// xmppChat matches a message of type typ with body from a JID starting with fromPrefix.
func xmppChat(fromPrefix, typ, body string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(c.Remote, fromPrefix) && c.Type == typ && c.Text == body
	}
}

// xmppSubject matches a groupchat subject change from a JID starting with fromPrefix.
func xmppSubject(fromPrefix, subject string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(c.Remote, fromPrefix) && c.Type == "groupchat" && c.Subject == subject
	}
}

// xmppChildAttr returns attribute name of m's extension element local, and whether m has
// such an element.
func xmppChildAttr(m xmpp.Chat, local, name string) (string, bool) {
	for _, e := range m.OtherElem {
		if e.XMLName.Local != local {
			continue
		}
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value, true
			}
		}
		return "", true
	}
	return "", false
}

// xmppReceipt matches a XEP-0184 receipt for id from a JID starting with fromPrefix.
func xmppReceipt(fromPrefix, id string) func(any) bool {
	return func(st any) bool {
		m, ok := st.(xmpp.Chat)
		if !ok || !strings.HasPrefix(m.Remote, fromPrefix) {
			return false
		}
		got, has := xmppChildAttr(m, "received", "id")
		return has && got == id
	}
}

// xmppSecret is a random suffix for the test accounts' passwords.
func xmppSecret() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// xmppWaitTrace waits until a raw trace contains s.
func xmppWaitTrace(t *testing.T, trace *syncBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(xmppWait)
	for !strings.Contains(trace.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never arrived; trace:\n%s", s, tail(trace.String(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// xmppCountUntil counts the stanzas matching match (the backlog included) until one
// matching until arrives: "nothing more" bounded by an event that must come after, not by a
// time window. The others stay for later Waits.
func xmppCountUntil(t *testing.T, in *Stanzas, match, until func(any) bool) int {
	t.Helper()
	n := 0
	kept := in.backlog[:0]
	for i, st := range in.backlog {
		switch {
		case until(st):
			in.backlog = append(kept, in.backlog[i+1:]...)
			return n
		case match(st):
			n++
		default:
			kept = append(kept, st)
		}
	}
	in.backlog = kept
	deadline := time.After(xmppWait)
	for {
		select {
		case st, ok := <-in.ch:
			switch {
			case !ok:
				t.Fatalf("the connection closed before the stanza that ends the count")
			case until(st):
				return n
			case match(st):
				n++
			default:
				in.backlog = append(in.backlog, st)
			}
		case <-deadline:
			t.Fatalf("the stanza that ends the count did not arrive within %v", xmppWait)
		}
	}
}

// xmppIQResult matches the result of the IQ with id.
func xmppIQResult(id string) func(any) bool {
	return func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == id && iq.Type == "result"
	}
}

// xmppSentCarbon matches a XEP-0280 sent carbon whose forwarded message has body.
func xmppSentCarbon(body string) func(any) bool {
	return func(st any) bool {
		m, ok := st.(xmpp.Chat)
		if !ok {
			return false
		}
		for _, e := range m.OtherElem {
			if e.XMLName.Local == "sent" && strings.Contains(e.InnerXML, ">"+body+"<") {
				return true
			}
		}
		return false
	}
}

// xmppWaitEnd waits until the server ends in's stream.
func xmppWaitEnd(t *testing.T, in *Stanzas, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case st, ok := <-in.ch:
			if _, isErr := st.(error); !ok || isErr {
				return
			}
		case <-deadline:
			t.Fatal("the stream did not end")
		}
	}
}
