package test

import (
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// TestLoginStartTLSAndDirectTLS: a real client logs in over both listeners; SASL succeeds
// only after the demo network accepted the login.
func TestLoginStartTLSAndDirectTLS(t *testing.T) {
	s := StartServer(t, "")
	for _, direct := range []bool{false, true} {
		c, err := s.Dial("alice%demo@localhost", s.Password(), "", direct)
		if err != nil {
			t.Fatalf("direct TLS %v: %v", direct, err)
		}
		if !c.IsEncrypted() {
			t.Errorf("direct TLS %v: session not encrypted", direct)
		}
		c.Close()
	}
}

// TestLoginWrongPassword: the demo network refuses the password "wrong"; the client gets a
// SASL failure carrying the legacy network's text (spec 3.4).
func TestLoginWrongPassword(t *testing.T) {
	s := StartServer(t, "")
	_, err := s.Dial("bob%demo@localhost", "wrong", "", false)
	if err == nil {
		t.Fatal("login with the password 'wrong' succeeded")
	}
	// Before authentication the client learns only that the legacy side refused
	// (issue 18: no legacy detail to an unauthenticated client); the log has the reason.
	if !strings.Contains(err.Error(), "The legacy server refused the login.") {
		t.Fatalf("unexpected error: %v", err)
	}
	s.waitLogLines(t, 1, `"reason":"Wrong password"`, "legacy login refused")
}

// TestEchoRoundTrip: a chat message to the demo echo contact comes back.
func TestEchoRoundTrip(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("carol%demo@localhost", s.Password(), "phone")
	in := Listen(c)
	if _, err := c.SendPresence(xmpp.Presence{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(xmpp.Chat{Remote: "echo@localhost", Type: "chat", Text: "hello echo"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the echo", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && m.Text == "hello echo" && strings.HasPrefix(m.Remote, "echo@localhost")
	})
}
