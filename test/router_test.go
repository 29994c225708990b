package test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

const (
	echoJID  = "echo@localhost"
	clockJID = "clock@localhost"
)

// isRoster matches the result of go-xmpp's roster get (id roster1), which it reports as an IQ.
func isRoster(st any) bool {
	iq, ok := st.(xmpp.IQ)
	return ok && iq.ID == "roster1" && iq.Type == "result"
}

var rosterJIDAttr = regexp.MustCompile(`jid=["']([^"']+)["']`)

// rosterJIDs lists the item JIDs of a roster result.
func rosterJIDs(st any) []string {
	var out []string
	for _, m := range rosterJIDAttr.FindAllStringSubmatch(string(st.(xmpp.IQ).Query), -1) {
		out = append(out, m[1])
	}
	return out
}

// fromEcho matches a chat message from echo whose body is text.
func fromEcho(text string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(c.Remote, echoJID) && c.Text == text && c.Type != "error"
	}
}

func hasElem(c xmpp.Chat, local string) bool {
	for _, e := range c.OtherElem {
		if e.XMLName.Local == local {
			return true
		}
	}
	return false
}

// TestRosterAndEcho: the roster comes from the demo network's contact list, and a message to
// echo comes back through the backend (spec 3.9, 3.10).
func TestRosterAndEcho(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("alice%demo@localhost", s.Password(), "phone")
	in := Listen(c)
	// The backend sends its contacts after it said the login succeeded, so a roster asked
	// for at once may come before them (they follow as pushes). A contact's presence is
	// forwarded once it is on the roster: after echo's and clock's, the roster has both.
	seen := map[string]bool{}
	in.Wait(t, "echo's and clock's presences", 30*time.Second, func(st any) bool {
		if p, ok := st.(xmpp.Presence); ok && p.Type != "unavailable" {
			for _, j := range []string{echoJID, clockJID} {
				if strings.HasPrefix(p.From, j) {
					seen[j] = true
				}
			}
		}
		return seen[echoJID] && seen[clockJID]
	})
	if err := c.Roster(); err != nil {
		t.Fatal(err)
	}
	items := rosterJIDs(in.Wait(t, "roster", 30*time.Second, isRoster))
	if !slices.Contains(items, echoJID) || !slices.Contains(items, clockJID) {
		t.Fatalf("roster lacks echo or clock: %q", items)
	}
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "hello gateway"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "echo of the message", 30*time.Second, fromEcho("hello gateway"))
}

// TestLargeRoster: 5,000 generated contacts all reach the client.
func TestLargeRoster(t *testing.T) {
	s := StartServer(t, "[demo]\ncontacts = 5000\n")
	c := s.MustDial("bob%demo@localhost", s.Password(), "")
	in := Listen(c)
	// The demo network sends its contacts in order, and the router forwards a contact's
	// presence once it is on the roster: the presence of the last one (contact5000, dnd)
	// means that all of them are.
	in.Wait(t, "the last contact's presence", 60*time.Second, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && strings.HasPrefix(p.From, "contact5000@localhost")
	})
	if err := c.Roster(); err != nil {
		t.Fatal(err)
	}
	if n := len(rosterJIDs(in.Wait(t, "roster", 60*time.Second, isRoster))); n < 5002 {
		t.Fatalf("roster has %d items, want at least 5002", n)
	}
}

// TestEchoExtensions: chat states, receipts request, XHTML-IM and attention survive the
// round trip through the backend (XEP-0085, XEP-0184, XEP-0071, XEP-0224).
func TestEchoExtensions(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("carol%demo@localhost", s.Password(), "")
	in := Listen(c)
	send := func(x string) {
		t.Helper()
		if _, err := c.SendOrg(x); err != nil {
			t.Fatal(err)
		}
	}
	send(`<message to='echo@localhost' type='chat' id='m1'><body>styled</body>` +
		`<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p><strong>styled</strong></p></body></html>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/></message>`)
	in.Wait(t, "receipt for m1", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		if !ok || !strings.HasPrefix(m.Remote, echoJID) {
			return false
		}
		for _, e := range m.OtherElem {
			if e.XMLName.Local == "received" && e.XMLName.Space == "urn:xmpp:receipts" {
				for _, a := range e.Attr {
					if a.Name.Local == "id" && a.Value == "m1" {
						return true
					}
				}
			}
		}
		return false
	})
	echo := in.Wait(t, "xhtml echo", 30*time.Second, fromEcho("styled")).(xmpp.Chat)
	if !hasElem(echo, "html") {
		t.Errorf("echo lost its XHTML-IM part: %+v", echo.OtherElem)
	}
	send(`<message to='echo@localhost' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	in.Wait(t, "composing from echo", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, echoJID) && hasElem(m, "composing")
	})
	send(`<message to='echo@localhost' type='chat'><attention xmlns='urn:xmpp:attention:0'/></message>`)
	in.Wait(t, "attention from echo", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, echoJID) && hasElem(m, "attention")
	})
}

// TestMessageOutsideRoster: a message to a name that is not on the roster opens a
// conversation (spec 3.9) and reaches the network, which acknowledges it (XEP-0184 through
// CONV_MESSAGE_ACK).
func TestMessageOutsideRoster(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("dave%demo@localhost", s.Password(), "")
	in := Listen(c)
	if _, err := c.SendOrg(`<message to='stranger@localhost' type='chat' id='s1'><body>hi</body>` +
		`<request xmlns='urn:xmpp:receipts'/></message>`); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "receipt from the stranger", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		if !ok || !strings.HasPrefix(m.Remote, "stranger@localhost") {
			return false
		}
		for _, e := range m.OtherElem {
			if e.XMLName.Local == "received" {
				return true
			}
		}
		return false
	})
}

// TestForeignDomainBounces: this server routes only its own domain; a message elsewhere
// comes back as an error, never silence (RFC 6120 10.4.3: no server-to-server).
func TestForeignDomainBounces(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("dave%demo@localhost", s.Password(), "")
	in := Listen(c)
	if _, err := c.Send(xmpp.Chat{Remote: "someone@elsewhere.example", Type: "chat", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "error bounce", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && m.Type == "error" && strings.HasPrefix(m.Remote, "someone@elsewhere.example")
	})
}

// TestTwoResources: both resources share one legacy session; carbons copy what one sends to
// the other (XEP-0280); closing one keeps the other logged in (spec quirk 7).
func TestTwoResources(t *testing.T) {
	s := StartServer(t, "")
	pw := s.Password()
	a := s.MustDial("erin%demo@localhost", pw, "a")
	ina := Listen(a)
	b, err := s.Dial("erin%demo@localhost", pw, "b", true)
	if err != nil {
		t.Fatal(err)
	}
	inb := Listen(b)
	if _, err := s.Dial("erin%demo@localhost", "another-"+pw, "c", false); err == nil {
		t.Error("a second resource with another password logged in")
	}
	if _, err := b.SendOrg(`<iq type='set' id='carbons1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`); err != nil {
		t.Fatal(err)
	}
	inb.Wait(t, "carbons enabled on b", 30*time.Second, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "carbons1" && iq.Type == "result"
	})
	if _, err := a.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "carbon copy"}); err != nil {
		t.Fatal(err)
	}
	inb.Wait(t, "sent carbon on b", 30*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && hasElem(m, "sent")
	})
	ina.Wait(t, "echo on a", 30*time.Second, fromEcho("carbon copy"))
	CloseClient(t, b)
	// The router has removed b (no client sees that): what a sends now comes after.
	s.waitLogLines(t, 1, `"message":"resource closed"`, `"resource":"b"`, `"jid":"erin%demo@localhost"`)
	if _, err := a.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "still here"}); err != nil {
		t.Fatal(err)
	}
	ina.Wait(t, "echo after the other resource left", 30*time.Second, fromEcho("still here"))
}

// backendPIDs lists the processes whose parent is the daemon: its backends.
func backendPIDs(t *testing.T, daemon int) []int {
	t.Helper()
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(daemon) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestBackendCrashSilentRelogin: kill -9 the backend under a logged-in user; the user is
// logged in again on a new backend and the client sees no error (spec 2.6, 3.4). A message
// sent meanwhile is delivered or bounced, never lost in silence.
func TestBackendCrashSilentRelogin(t *testing.T) {
	s := StartServer(t, "")
	c := s.MustDial("frank%demo@localhost", s.Password(), "")
	in := Listen(c)
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "before"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "echo before the crash", 30*time.Second, fromEcho("before"))
	connected := []string{`"message":"legacy session connected"`, `"jid":"frank%demo@localhost"`}
	logins := s.logLines(connected...)
	pids := backendPIDs(t, s.cmd.Process.Pid)
	if len(pids) == 0 {
		t.Fatal("no backend process found")
	}
	t.Logf("daemon %d, killing backends %v", s.cmd.Process.Pid, pids)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "during"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "echo or bounce of the message sent during the restart", 60*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, echoJID) && (m.Type == "error" || m.Text == "during")
	})
	// The re-login on a new backend is done when the router logs the session connected
	// again; from then on a message is echoed, not bounced.
	s.waitLogLines(t, logins+1, connected...)
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "after"}); err != nil {
		t.Fatalf("client lost its session: %v", err)
	}
	got := in.Wait(t, "echo or bounce after the re-login", 60*time.Second, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, echoJID) && (m.Type == "error" || m.Text == "after")
	}).(xmpp.Chat)
	if got.Type == "error" {
		t.Fatalf("a message after the re-login bounced: %+v", got)
	}
}
