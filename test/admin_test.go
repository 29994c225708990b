package test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const opsWait = 30 * time.Second

// adminServer starts a daemon with admin@localhost as administrator and returns it with
// the admin password.
func adminServer(t *testing.T, extra string) (*Server, string) {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	pw := "admin-" + hex.EncodeToString(b)
	s := StartServer(t, "admin_jid = \"admin@localhost\"\nadmin_password = \""+pw+"\"\n"+extra)
	s.secrets = append(s.secrets, pw)
	return s, pw
}

// dialListen logs user in and reads its stanzas; at cleanup it ends the stream and
// waits for the server's end before closing, so that go-xmpp's Close does not race the
// reading goroutine.
func dialListen(t *testing.T, s *Server, user, password string) (*xmpp.Client, *Stanzas) {
	t.Helper()
	c, err := s.Dial(user, password, "phone", false)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	return c, listenClosing(t, c)
}

// listenClosing is Listen with the graceful close of dialListen.
func listenClosing(t *testing.T, c *xmpp.Client) *Stanzas {
	in := Listen(c)
	t.Cleanup(func() {
		_, _ = c.SendOrg("</stream:stream>")
		_ = streamEnd(in, opsWait)
		_ = c.Close()
	})
	return in
}

// ask sends line to the gateway as a chat message and returns the body of its answer.
func ask(t *testing.T, c *xmpp.Client, in *Stanzas, line string) string {
	t.Helper()
	if _, err := c.Send(xmpp.Chat{Remote: "localhost", Type: "chat", Text: line}); err != nil {
		t.Fatal(err)
	}
	st := in.Wait(t, "the answer to "+line, opsWait, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && m.Remote == "localhost" && m.Type == "chat"
	})
	return st.(xmpp.Chat).Text
}

// loginEchoOnce logs a demo user in, sends one message to echo and waits for its echo.
func loginEchoOnce(t *testing.T, s *Server, user string) *xmpp.Client {
	t.Helper()
	c, in := dialListen(t, s, user, s.Password())
	if _, err := c.SendPresence(xmpp.Presence{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "ping"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the echo", opsWait, fromEcho("ping"))
	return c
}

// TestAdminCommands: the administrator logs in with admin_password, gets no legacy
// session, and the commands sent to the gateway as chat messages answer exactly (spec 3.20).
func TestAdminCommands(t *testing.T) {
	s, pw := adminServer(t, "")
	if _, err := s.Dial("admin@localhost", "wrong", "x", false); err == nil {
		t.Fatal("admin login with a wrong password succeeded")
	}
	loginEchoOnce(t, s, "alice%demo@localhost")
	a, in := dialListen(t, s, "admin@localhost", pw)
	if _, err := a.SendPresence(xmpp.Presence{}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the gateway's presence", opsWait, func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && p.From == "localhost" && p.Type == ""
	})
	users := ask(t, a, in, "online_users")
	if strings.Contains(users, "admin") || !strings.Contains(users, "alice") || strings.Count(users, "\n") != 0 {
		t.Errorf("online_users = %q, want alice's JID only", users)
	}
	for _, tc := range []struct{ line, want string }{
		{"status", "Running (1 users connected using 1 backends)"},
		{"online_users_count", "1"},
		{"get online_users_count", "1"},
		{"has_online_user " + users, "1"},
		{"has_online_user nobody@localhost", "0"},
		{"has_online_user", "Error: Argument is missing."},
		{"backends_count", "1"},
		{"backends_count 2", "Error: Too many arguments."},
		{"set backends_count 2", "Error: This variable cannot be set."},
		{"crashed_backends_count", "0"},
		{"crashed_backends", ""},
		{"messages_from_xmpp", "1"},
		{"no_such_command", "Error: Unknown variable or command"},
		{"args has_online_user", "jid"},
	} {
		if got := ask(t, a, in, tc.line); got != tc.want {
			t.Errorf("%q answered %q, want %q", tc.line, got, tc.want)
		}
	}
	for _, line := range []string{"uptime", "res_memory", "shr_memory", "used_memory", "average_memory_per_user", "messages_to_xmpp"} {
		if got := ask(t, a, in, line); got == "" || strings.Trim(got, "0123456789") != "" {
			t.Errorf("%q answered %q, want a number", line, got)
		}
	}
	if help := ask(t, a, in, "help"); !strings.Contains(help, "online_users_count") {
		t.Errorf("help = %q", help)
	}
	// The admin has no legacy session: a message to a contact bounces.
	if _, err := a.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "the bounce", opsWait, func(st any) bool {
		m, ok := st.(xmpp.Chat)
		return ok && strings.HasPrefix(m.Remote, echoJID) && m.Type == "error"
	})
}

// TestAdminAdHoc: the same commands as XEP-0050 ad-hoc commands, found through disco.
func TestAdminAdHoc(t *testing.T) {
	s, pw := adminServer(t, "")
	loginEchoOnce(t, s, "bob%demo@localhost")
	a, in := dialListen(t, s, "admin@localhost", pw)
	send := func(x string) {
		t.Helper()
		if _, err := a.SendOrg(x); err != nil {
			t.Fatal(err)
		}
	}
	send(`<iq type='get' id='items' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	items := in.Wait(t, "the command list", opsWait, func(st any) bool {
		r, ok := st.(xmpp.DiscoItems)
		return ok && r.ID == "items"
	}).(xmpp.DiscoItems).Items
	if !slices.ContainsFunc(items, func(it xmpp.DiscoItem) bool { return it.Node == "status" && it.Jid == "localhost" }) {
		t.Fatalf("no status command in %+v", items)
	}
	iqAnswer := func(id string) xmpp.IQ {
		t.Helper()
		return in.Wait(t, "iq "+id, opsWait, func(st any) bool {
			r, ok := st.(xmpp.IQ)
			return ok && r.ID == id
		}).(xmpp.IQ)
	}
	iqResult := func(id string) string {
		t.Helper()
		return string(iqAnswer(id).Query)
	}
	send(`<iq type='set' id='x1' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='status' action='execute'/></iq>`)
	if got := iqResult("x1"); !strings.Contains(got, `status="completed"`) ||
		!strings.Contains(got, "<value>Running (1 users connected using 1 backends)</value>") {
		t.Errorf("status command: %s", got)
	}
	send(`<iq type='set' id='x2' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='has_online_user' action='execute'/></iq>`)
	form := iqResult("x2")
	sid := between(form, `sessionid="`, `"`)
	if !strings.Contains(form, `status="executing"`) || sid == "" || !strings.Contains(form, `var="jid"`) {
		t.Fatalf("has_online_user form: %s", form)
	}
	send(`<iq type='set' id='x3' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='has_online_user' sessionid='` + sid +
		`' action='complete'><x xmlns='jabber:x:data' type='submit'><field var='jid'><value>nobody@localhost</value></field></x></command></iq>`)
	if got := iqResult("x3"); !strings.Contains(got, `status="completed"`) || !strings.Contains(got, "<value>0</value>") {
		t.Errorf("has_online_user result: %s", got)
	}
	send(`<iq type='set' id='x4' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='has_online_user' sessionid='` + sid + `'/></iq>`)
	if got := iqAnswer("x4"); got.Type != "error" {
		t.Errorf("a finished session was accepted again: %+v", got)
	}
}

// between returns the text of s after the first before and up to the next after.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}

// TestQueryChannel: spectrum2_manager's channel (spec 1.8): with backend_query on, a
// local connection to the backend port runs admin commands; it never becomes a backend,
// so the user logged in later is served normally (quirk 1 fixed).
func TestQueryChannel(t *testing.T) {
	portfile := filepath.Join(t.TempDir(), "backend.port")
	s := StartServer(t, fmt.Sprintf("backend_query = true\nportfile = %q\n", portfile))
	data, err := os.ReadFile(portfile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(opsWait))
	r, w := protocol.NewReader(c, 0), protocol.NewWriter(c)
	query := func(line string) string {
		t.Helper()
		if err := w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_QUERY, &pb.BackendConfig{Config: &line})); err != nil {
			t.Fatal(err)
		}
		for {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("waiting for the answer to %q: %v", line, err)
			}
			if f.Type == pb.WrapperMessage_TYPE_PING {
				_ = w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_PONG, nil))
				continue
			}
			if f.Type == pb.WrapperMessage_TYPE_QUERY {
				m, err := protocol.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				return m.(*pb.BackendConfig).GetConfig()
			}
		}
	}
	if got := query("online_users_count"); got != "0" {
		t.Errorf("online_users_count = %q", got)
	}
	loginEchoOnce(t, s, "ivan%demo@localhost")
	if got := query("online_users"); got != "ivan%demo@localhost" {
		t.Errorf("online_users = %q", got)
	}
}
