package router

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
)

// fakeOps counts what the router reports.
type fakeOps struct {
	out, overflows atomic.Int32
}

func (f *fakeOps) StanzaOut(*xmpp.Element)              { f.out.Add(1) }
func (f *fakeOps) QueueOverflow()                       { f.overflows.Add(1) }
func (f *fakeOps) Uptime() time.Duration                { return 90 * time.Second }
func (f *fakeOps) MessagesFromXMPP() uint64             { return 7 }
func (f *fakeOps) MessagesToXMPP() uint64               { return 8 }
func (f *fakeOps) Memory() (residentKB, sharedKB int64) { return 1000, 300 }

func newAdminEnv(t *testing.T) (*env, *fakeOps, *int) {
	t.Helper()
	ops := &fakeOps{}
	reloads := new(int)
	e := newEnv(t, func(c *Config) {
		c.Ops = OpsConfig{AdminJIDs: []string{"Admin@localhost"}, AdminPassword: "secret", Ops: ops,
			Reload: func() error { *reloads++; return nil }}
	})
	return e, ops, reloads
}

// adminConnect logs the administrator in and binds a test resource.
func adminConnect(t *testing.T, e *env) (*testResource, *adminSession) {
	t.Helper()
	g, err := e.r.Authenticate(context.Background(), jid.MustParse("admin@localhost"), "secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.(adminGrant); !ok {
		t.Fatalf("grant %T", g)
	}
	tr := &testResource{full: jid.MustParse("admin@localhost/console")}
	return tr, e.r.newAdminSession(tr)
}

func adminSend(t *testing.T, a *adminSession, s string) {
	t.Helper()
	el := stanza(t, s)
	el.SetAttr("from", "admin@localhost/console")
	a.HandleStanza(el)
}

func TestAdminLogin(t *testing.T) {
	e, _, _ := newAdminEnv(t)
	_, err := e.r.Authenticate(context.Background(), jid.MustParse("admin@localhost"), "wrong")
	var ae *c2s.AuthError
	if !errors.As(err, &ae) || ae.Condition != "not-authorized" {
		t.Fatalf("wrong admin password: %v", err)
	}
	adminConnect(t, e)
	if e.be.nLogins() != 0 || len(e.r.OnlineUsers()) != 0 {
		t.Error("the administrator got a legacy session (spec 3.3)")
	}
}

func TestAdminChatCommands(t *testing.T) {
	e, ops, reloads := newAdminEnv(t)
	e.connect("bob@localhost", "pw", "phone")
	tr, a := adminConnect(t, e)
	for i, c := range []struct{ line, want string }{
		{"status", "Running (1 users connected using 0 backends)"},
		{"online_users", "bob@localhost"},
		{"online_users_count", "1"},
		{"has_online_user bob@localhost", "1"},
		{"uptime", "90"},
		{"res_memory", "1000"},
		{"shr_memory", "300"},
		{"used_memory", "700"},
		{"average_memory_per_user", "0"},
		{"messages_from_xmpp", "7"},
		{"get messages_to_xmpp", "8"},
		{"reload", "Config reloaded"},
		{"set uptime 3", adminCannotSet},
		{"uptime 3", adminTooManyArgs},
		{"has_online_user", adminMissingArg},
		{"nonsense", adminUnknown},
		{"register a b c", adminUnknown}, // no storage backend
	} {
		id := "m" + itoa(i)
		adminSend(t, a, `<message to='localhost' type='chat' id='`+id+`'><body>`+c.line+`</body></message>`)
		got := tr.wait(t, c.line, func(el *xmpp.Element) bool { return el.ID() == id })
		if got.From() != "localhost" || got.To() != "admin@localhost/console" || got.Type() != "chat" ||
			got.ChildText(xmpp.NSClient, "body") != c.want {
			t.Errorf("%q answered %s, want %q", c.line, got, c.want)
		}
	}
	if *reloads != 1 {
		t.Errorf("reloads = %d", *reloads)
	}
	if ops.out.Load() == 0 {
		t.Error("the answers were not observed")
	}
	// Quirk 19 fixed: nobody online is an empty answer, not a crash.
	e.stop()
	if got := e.r.AdminCommand("online_users"); got != "" {
		t.Errorf("online_users with nobody online = %q", got)
	}
}

func TestAdminNoLegacy(t *testing.T) {
	e, _, _ := newAdminEnv(t)
	tr, a := adminConnect(t, e)
	adminSend(t, a, `<message to='echo@localhost' id='x'><body>hi</body></message>`)
	tr.wait(t, "bounce", func(el *xmpp.Element) bool { return el.ID() == "x" && el.Type() == "error" })
	adminSend(t, a, `<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`)
	r := tr.wait(t, "roster", func(el *xmpp.Element) bool { return el.ID() == "r" })
	if !strings.Contains(r.String(), `jid="localhost"`) || !strings.Contains(r.String(), `name="Admin"`) {
		t.Errorf("admin roster %s", r)
	}
	adminSend(t, a, `<presence/>`)
	tr.wait(t, "gateway presence", func(el *xmpp.Element) bool { return el.Local == "presence" && el.From() == "localhost" })
}

func TestAdminAdHoc(t *testing.T) {
	e, _, _ := newAdminEnv(t)
	tr, a := adminConnect(t, e)
	adminSend(t, a, `<iq type='get' id='i' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if r := tr.wait(t, "info", func(el *xmpp.Element) bool { return el.ID() == "i" }); !strings.Contains(r.String(), xmpp.NSCommands) {
		t.Errorf("disco#info lacks commands: %s", r)
	}
	adminSend(t, a, `<iq type='get' id='l' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if r := tr.wait(t, "items", func(el *xmpp.Element) bool { return el.ID() == "l" }); !strings.Contains(r.String(), `node="uptime"`) {
		t.Errorf("items %s", r)
	}
	adminSend(t, a, `<iq type='set' id='u' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='uptime'/></iq>`)
	r := tr.wait(t, "uptime", func(el *xmpp.Element) bool { return el.ID() == "u" })
	if !strings.Contains(r.String(), `status="completed"`) || !strings.Contains(r.String(), "<value>90</value>") {
		t.Errorf("uptime %s", r)
	}
	adminSend(t, a, `<iq type='get' id='g' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='uptime'/></iq>`)
	if r := tr.wait(t, "get", func(el *xmpp.Element) bool { return el.ID() == "g" }); !strings.Contains(r.String(), "feature-not-implemented") {
		t.Errorf("get %s", r)
	}
	adminSend(t, a, `<iq type='set' id='h' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='has_online_user'/></iq>`)
	form := tr.wait(t, "form", func(el *xmpp.Element) bool { return el.ID() == "h" })
	sid := form.Child(xmpp.NSCommands, "command").Attr("sessionid")
	if len(sid) != 32 || strings.Trim(sid, "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("sessionid %q (spec 3.14: 32 lowercase letters)", sid)
	}
	adminSend(t, a, `<iq type='set' id='c' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='has_online_user' sessionid='`+sid+`' action='cancel'/></iq>`)
	if r := tr.wait(t, "cancel", func(el *xmpp.Element) bool { return el.ID() == "c" }); !strings.Contains(r.String(), `status="canceled"`) {
		t.Errorf("cancel %s", r)
	}
	adminSend(t, a, `<iq type='set' id='x' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='nope'/></iq>`)
	if r := tr.wait(t, "unknown", func(el *xmpp.Element) bool { return el.ID() == "x" }); !strings.Contains(r.String(), "bad-request") {
		t.Errorf("unknown node %s", r)
	}
}

func TestObserveSend(t *testing.T) {
	ops := &fakeOps{}
	r := New(Config{Domain: "localhost", Ops: OpsConfig{Ops: ops}})
	r.observeSend(xmpp.New(xmpp.NSClient, "message"), nil)
	r.observeSend(xmpp.New(xmpp.NSClient, "message"), c2s.ErrQueueFull)
	r.observeSend(xmpp.New(xmpp.NSClient, "message"), c2s.ErrSessionClosed)
	if ops.out.Load() != 1 || ops.overflows.Load() != 1 {
		t.Errorf("out %d overflows %d", ops.out.Load(), ops.overflows.Load())
	}
}

// TestSettingsCommand: users see the settings command (spec 3.14); without a storage
// backend it completes at once with the fixed text.
func TestSettingsCommand(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", "pw", "phone")
	send(t, h, `<iq type='get' id='l' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if r := tr.wait(t, "items", func(el *xmpp.Element) bool { return el.ID() == "l" }); !strings.Contains(r.String(), `node="settings"`) ||
		!strings.Contains(r.String(), `name="Transport settings"`) {
		t.Errorf("items %s", r)
	}
	send(t, h, `<iq type='set' id='s' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='settings' action='execute'/></iq>`)
	r := tr.wait(t, "settings", func(el *xmpp.Element) bool { return el.ID() == "s" })
	if !strings.Contains(r.String(), `status="completed"`) || !strings.Contains(r.String(), noStorageText) {
		t.Errorf("settings %s", r)
	}
	send(t, h, `<iq type='set' id='b' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='other'/></iq>`)
	if r := tr.wait(t, "bad", func(el *xmpp.Element) bool { return el.ID() == "b" }); !strings.Contains(r.String(), "bad-request") {
		t.Errorf("unknown node %s", r)
	}
	send(t, h, `<iq type='get' id='g' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='settings'/></iq>`)
	if r := tr.wait(t, "get", func(el *xmpp.Element) bool { return el.ID() == "g" }); !strings.Contains(r.String(), "feature-not-implemented") {
		t.Errorf("get %s", r)
	}
}

// statsBackends adds the optional Stats and CrashedPIDs of *pluginserver.Server.
type statsBackends struct{ *fakeBackends }

func (statsBackends) Stats() pluginserver.Stats {
	return pluginserver.Stats{Crashes: 2, Backends: []pluginserver.BackendStats{
		{Name: "backend-1", PID: 5, Users: 1, RSS: 5000, InitRSS: 4000, Shared: 100, State: "ready"},
		{Name: "backend-3", PID: 6, Users: 0, RSS: 3000, InitRSS: 3000, Shared: 200, State: "ready"},
	}}
}

func (statsBackends) CrashedPIDs() []int { return []int{11, 12} }

// TestAdminBackendCommands: the commands that read the backends' STATS (spec 3.20).
func TestAdminBackendCommands(t *testing.T) {
	e, _, _ := newAdminEnv(t)
	e.r.SetBackends(statsBackends{e.be})
	e.connect("bob@localhost", "pw", "phone")
	for _, c := range []struct{ line, want string }{
		{"status", "Running (1 users connected using 2 backends)"},
		{"backends_count", "2"},
		{"crashed_backends_count", "2"},
		{"crashed_backends", "11\n12"},
		{"res_memory", "9000"},              // 1000 + 5000 + 3000
		{"shr_memory", "600"},               // 300 + 100 + 200
		{"used_memory", "8400"},             // 700 + 4900 + 2800
		{"average_memory_per_user", "1000"}, // (1000 + 0) / 1 user
	} {
		if got := e.r.AdminCommand(c.line); got != c.want {
			t.Errorf("%q = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestSetAdmins(t *testing.T) {
	e, _, _ := newAdminEnv(t)
	e.r.SetAdmins([]string{"boss@localhost"}, "new")
	if _, err := e.r.Authenticate(context.Background(), jid.MustParse("boss@localhost"), "new"); err != nil {
		t.Errorf("new admin: %v", err)
	}
	// admin@localhost is an ordinary user now: its login goes to the backend.
	e.connect("admin@localhost", "secret", "x")
	if e.be.nLogins() != 1 {
		t.Errorf("logins = %d", e.be.nLogins())
	}
}
