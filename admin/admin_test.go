package admin

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// The router's side of the seam is tested in router (sessions_test.go) with this feature,
// and end to end in test/admin_test.go; here the commands are driven through
// feature.Session with a conn that records what the feature sends.

// conn records what a session sends (the router's feature.Conn).
type conn struct {
	mu  sync.Mutex
	got []*xmpp.Element
}

func (c *conn) JID() jid.JID { return jid.MustParse("admin@localhost/console") }
func (c *conn) Send(el *xmpp.Element) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, el)
}
func (*conn) Close(string, string) {}

// console is one administrator's session on a recording conn.
type console struct {
	c    *conn
	sess feature.Session
}

func open(a *Admin) *console {
	c := &conn{}
	return &console{c: c, sess: a.Open(c)}
}

// ask sends s (from the administrator) and returns the answer with id; the session runs
// the stanza at once, as the router's actor would.
func (k *console) ask(t *testing.T, s, id string) *xmpp.Element {
	t.Helper()
	rd := xmpp.NewReader(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='"+xmpp.NSStream+"'>"+s),
		xmpp.Limits{MaxStanzaBytes: 1 << 16, MaxDepth: 32})
	if _, err := rd.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	el, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	el.SetAttr("from", "admin@localhost/console")
	k.sess.HandleStanza(el)
	k.c.mu.Lock()
	defer k.c.mu.Unlock()
	for _, g := range k.c.got {
		if g.ID() == id {
			return g
		}
	}
	t.Fatalf("no answer %s to %s", id, s)
	return nil
}

type counters struct{}

func (counters) Uptime() time.Duration                { return 90 * time.Second }
func (counters) MessagesFromXMPP() uint64             { return 7 }
func (counters) MessagesToXMPP() uint64               { return 8 }
func (counters) Memory() (residentKB, sharedKB int64) { return 1000, 300 }

func stats() pluginserver.Stats {
	return pluginserver.Stats{Crashes: 2, Backends: []pluginserver.BackendStats{
		{Name: "backend-1", PID: 5, Users: 1, RSS: 5000, InitRSS: 4000, Shared: 100, State: "ready"},
		{Name: "backend-3", PID: 6, Users: 0, RSS: 3000, InitRSS: 3000, Shared: 200, State: "ready"},
	}}
}

// TestBackendCommands: the commands that read the backends' STATS (spec 3.20).
func TestBackendCommands(t *testing.T) {
	a := New(Config{Domain: "localhost", JIDs: []string{"admin@localhost"}, Counters: counters{}})
	a.SetSources(Sources{Users: func() []string { return []string{"bob@localhost"} }, Stats: stats,
		CrashedPIDs: func() []int { return []int{11, 12} }})
	for _, c := range []struct{ line, want string }{
		{"status", "Running (1 users connected using 2 backends)"},
		{"backends_count", "2"},
		{"crashed_backends_count", "2"},
		{"crashed_backends", "11\n12"},
		{"res_memory", "9000"},              // 1000 + 5000 + 3000
		{"shr_memory", "600"},               // 300 + 100 + 200
		{"used_memory", "8400"},             // 700 + 4900 + 2800
		{"average_memory_per_user", "1000"}, // (1000 + 0) / 1 user
		{"has_online_user Bob@localhost", "1"},
		{"args has_online_user", "jid"},
		{"set uptime 3", adminCannotSet},
		{"uptime 3", adminTooManyArgs},
		{"has_online_user", adminMissingArg},
		{"register a b c", adminUnknown}, // no storage backend of Spectrum 2's kind
		{"reload", "Error: reload is not available"},
		{"erase_user bob@localhost", "Error: no storage is configured"},
	} {
		if got := a.Command(c.line); got != c.want {
			t.Errorf("%q = %q, want %q", c.line, got, c.want)
		}
	}
}

// TestNobodyOnline: quirk 19 fixed: nobody online is an empty answer, also before the
// sources are set.
func TestNobodyOnline(t *testing.T) {
	a := New(Config{Domain: "localhost", JIDs: []string{"admin@localhost"}})
	for _, line := range []string{"online_users", "crashed_backends"} {
		if got := a.Command(line); got != "" {
			t.Errorf("%s = %q", line, got)
		}
	}
	if got := a.Command("status"); got != "Running (0 users connected using 0 backends)" {
		t.Errorf("status = %q", got)
	}
}

// TestLogin: only service.admin_jid is handled; the password decides.
func TestLogin(t *testing.T) {
	a := New(Config{Domain: "localhost", JIDs: []string{"Admin@localhost"}, Password: "secret"})
	for _, c := range []struct {
		bare, pw    string
		handled, ok bool
	}{
		{"admin@localhost", "secret", true, true},
		{"admin@localhost", "wrong", true, false},
		{"bob@localhost", "secret", false, false},
	} {
		h, ok := a.Authenticate(jid.MustParse(c.bare), c.pw)
		if h != c.handled || ok != c.ok {
			t.Errorf("%s/%s: handled %v ok %v", c.bare, c.pw, h, ok)
		}
	}
	a.SetAdmins([]string{"admin@localhost"}, "")
	if h, ok := a.Authenticate(jid.MustParse("admin@localhost"), ""); !h || ok {
		t.Error("an empty admin_password let the administrator in")
	}
}

// TestEraseUserCommand: erase_user, as a chat command and as an ad-hoc command with its
// form, deletes what the store holds for one user and nothing of another's.
func TestEraseUserCommand(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, u := range []string{"bob@localhost", "carol@localhost", "dave@localhost"} {
		if err := db.PushOffline(ctx, u, store.Message{From: "echo@localhost", Stanza: []byte("<message/>")}, 10); err != nil {
			t.Fatal(err)
		}
	}
	a := New(Config{Domain: "localhost", JIDs: []string{"admin@localhost"}, EraseUser: db.EraseUser})
	k := open(a)
	got := k.ask(t, `<message to='localhost' type='chat' id='e1'><body>erase_user Bob@localhost</body></message>`, "e1")
	if body := got.ChildText(xmpp.NSClient, "body"); body != "Erased everything stored for bob@localhost" {
		t.Errorf("answer %q", body)
	}
	form := k.ask(t, `<iq type='set' id='f1' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='erase_user'/></iq>`, "f1")
	sid := form.Child(xmpp.NSCommands, "command").Attr("sessionid")
	done := k.ask(t, `<iq type='set' id='f2' to='localhost'><command xmlns='http://jabber.org/protocol/commands' node='erase_user' sessionid='`+sid+`'>`+
		`<x xmlns='jabber:x:data' type='submit'><field var='jid'><value>carol@localhost</value></field></x></command></iq>`, "f2")
	if !strings.Contains(done.String(), `status="completed"`) || !strings.Contains(done.String(), "Erased everything stored for carol@localhost") {
		t.Errorf("ad-hoc erase %s", done)
	}
	for u, want := range map[string]int{"bob@localhost": 0, "carol@localhost": 0, "dave@localhost": 1} {
		if n, _ := db.CountOffline(ctx, u); n != want {
			t.Errorf("%s holds %d, want %d", u, n, want)
		}
	}
	if got := a.Command("erase_user localhost"); !strings.HasPrefix(got, "Error:") {
		t.Errorf("erase_user of the domain = %q", got)
	}
}
