package router

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/admin"
	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// fakeOps counts what the router reports.
type fakeOps struct {
	out, overflows atomic.Int32
}

func (f *fakeOps) StanzaOut(*xmpp.Element) { f.out.Add(1) }
func (f *fakeOps) QueueOverflow()          { f.overflows.Add(1) }

// fakeCounters are the admin feature's counters.
type fakeCounters struct{}

func (fakeCounters) Uptime() time.Duration                { return 90 * time.Second }
func (fakeCounters) MessagesFromXMPP() uint64             { return 7 }
func (fakeCounters) MessagesToXMPP() uint64               { return 8 }
func (fakeCounters) Memory() (residentKB, sharedKB int64) { return 1000, 300 }

// newAdminEnv is a router with the admin feature (package admin) on the seam: the
// administrators' sessions (feature.Sessions) and the users' settings command.
func newAdminEnv(t *testing.T) (*env, *fakeOps, *admin.Admin, *int) {
	t.Helper()
	ops := &fakeOps{}
	reloads := new(int)
	adm := admin.New(admin.Config{Domain: "localhost", JIDs: []string{"Admin@localhost"}, Password: "secret",
		Counters: fakeCounters{}, Reload: func() error { *reloads++; return nil }})
	e := newEnv(t, func(c *Config) {
		c.Ops = OpsConfig{Ops: ops}
		c.Features = append(c.Features, adm)
	})
	adm.SetSources(admin.Sources{Users: e.r.OnlineUsers})
	return e, ops, adm, reloads
}

// adminConnect logs the administrator in and binds a test resource.
func adminConnect(t *testing.T, e *env) (*testResource, *featureSession) {
	t.Helper()
	g, err := e.r.Authenticate(context.Background(), jid.MustParse("admin@localhost"), "secret")
	if err != nil {
		t.Fatal(err)
	}
	sg, ok := g.(sessionGrant)
	if !ok {
		t.Fatalf("grant %T", g)
	}
	tr := &testResource{full: jid.MustParse("admin@localhost/console")}
	return tr, e.r.newFeatureSession(tr, sg.f)
}

func adminSend(t *testing.T, a *featureSession, s string) {
	t.Helper()
	el := stanza(t, s)
	el.SetAttr("from", "admin@localhost/console")
	a.HandleStanza(el)
}

func TestAdminLogin(t *testing.T) {
	e, _, _, _ := newAdminEnv(t)
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
	e, ops, _, reloads := newAdminEnv(t)
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
		{"set uptime 3", "Error: This variable cannot be set."},
		{"uptime 3", "Error: Too many arguments."},
		{"has_online_user", "Error: Argument is missing."},
		{"nonsense", "Error: Unknown variable or command"},
		{"register a b c", "Error: Unknown variable or command"}, // no storage backend
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
}

func TestAdminNoLegacy(t *testing.T) {
	e, _, _, _ := newAdminEnv(t)
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
	e, _, _, _ := newAdminEnv(t)
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
	e, _, _, _ := newAdminEnv(t)
	tr, h := e.connect("bob@localhost", "pw", "phone")
	send(t, h, `<iq type='get' id='l' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/></iq>`)
	if r := tr.wait(t, "items", func(el *xmpp.Element) bool { return el.ID() == "l" }); !strings.Contains(r.String(), `node="settings"`) ||
		!strings.Contains(r.String(), `name="Transport settings"`) {
		t.Errorf("items %s", r)
	}
	send(t, h, `<iq type='set' id='s' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='settings' action='execute'/></iq>`)
	r := tr.wait(t, "settings", func(el *xmpp.Element) bool { return el.ID() == "s" })
	if !strings.Contains(r.String(), `status="completed"`) || !strings.Contains(r.String(), "There is no storage backend configured") {
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

func TestSetAdmins(t *testing.T) {
	e, _, adm, _ := newAdminEnv(t)
	adm.SetAdmins([]string{"boss@localhost"}, "new")
	if _, err := e.r.Authenticate(context.Background(), jid.MustParse("boss@localhost"), "new"); err != nil {
		t.Errorf("new admin: %v", err)
	}
	// admin@localhost is an ordinary user now: its login goes to the backend.
	e.connect("admin@localhost", "secret", "x")
	if e.be.nLogins() != 1 {
		t.Errorf("logins = %d", e.be.nLogins())
	}
}
