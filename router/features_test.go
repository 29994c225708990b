package router

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/offline"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// openStore opens the SQLite store at path, closed when the test ends.
func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// offlineEnv is a router with the offline feature on db.
func offlineEnv(t *testing.T, db *store.DB, max int) *env {
	return newEnv(t, func(c *Config) {
		c.Features = []feature.Feature{offline.New(offline.Config{Store: db, MaxMessages: max})}
	})
}

func legacyChat(e *env, user, buddy, body string) {
	e.backend(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s(user), BuddyName: s(buddy), Message: s(body)})
}

// bodies are the bodies of the messages tr got, in order.
func bodies(tr *testResource) []string {
	var out []string
	for _, el := range tr.all() {
		if b := el.ChildText(xmpp.NSClient, "body"); el.Local == "message" && b != "" {
			out = append(out, b)
		}
	}
	return out
}

// TestOfflineOrderAtLogin: what a closed XEP-0198 session never acknowledged and what the
// legacy network sends during the linger are stored, and the next resource gets them at
// its initial presence, in order, after its roster and before a live message, each with
// the server's <delay/>.
func TestOfflineOrderAtLogin(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := offlineEnv(t, db, 0)
	_, hp := e.connect("alice@localhost", "pw", "phone")
	hp.Closed(unacked(t, "alice@localhost/phone"))
	legacyChat(e, "alice@localhost", "echo", "xyzzy-three")
	settle(t, e.r, "alice@localhost")
	if n, _ := db.CountOffline(context.Background(), "alice@localhost"); n != 3 {
		t.Fatalf("stored %d messages, want 3", n)
	}
	if e.be.nLogouts() != 0 {
		t.Fatal("the legacy session ended during the linger")
	}
	tr, h := e.connect("alice@localhost", "pw", "laptop")
	legacyChat(e, "alice@localhost", "echo", "xyzzy-four") // bound, not yet available: behind the stored ones
	send(t, h, `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	send(t, h, `<presence/>`)
	legacyChat(e, "alice@localhost", "echo", "xyzzy-five")
	tr.wait(t, "the live message", contains("xyzzy-five"))
	if got := strings.Join(bodies(tr), ","); got != "xyzzy-one,xyzzy-two,xyzzy-three,xyzzy-four,xyzzy-five" {
		t.Errorf("bodies in order %s", got)
	}
	all := tr.all()
	if all[0].ID() != "r1" {
		t.Errorf("first stanza %s, want the roster result", all[0])
	}
	for _, el := range all {
		if b := el.ChildText(xmpp.NSClient, "body"); strings.HasPrefix(b, "xyzzy") && b != "xyzzy-five" {
			d := el.Child(xmpp.NSDelay, "delay")
			if d == nil || d.Attr("from") != "localhost" || d.Attr("stamp") == "" || el.To() != "alice@localhost/laptop" {
				t.Errorf("stored message delivered as %s", el)
			}
		}
	}
	if n, _ := db.CountOffline(context.Background(), "alice@localhost"); n != 0 {
		t.Errorf("%d messages left in the store after delivery", n)
	}
	if strings.Contains(e.log.String(), "xyzzy") {
		t.Error("message content logged")
	}
}

// TestOfflineSurvivesRestart: the messages a router stored are delivered by the next one
// on the same database.
func TestOfflineSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openStore(t, path)
	e := offlineEnv(t, db, 0)
	_, hp := e.connect("alice@localhost", "pw", "phone")
	hp.Closed(unacked(t, "alice@localhost/phone"))
	settle(t, e.r, "alice@localhost")
	e.stop()
	db.Close()

	e2 := offlineEnv(t, openStore(t, path), 0)
	tr, h := e2.connect("alice@localhost", "pw", "laptop")
	send(t, h, `<presence/>`)
	tr.wait(t, "the second stored message", contains("xyzzy-two"))
	if got := strings.Join(bodies(tr), ","); got != "xyzzy-one,xyzzy-two" {
		t.Errorf("after a restart: %s", got)
	}
}

// TestOfflineBound: past offline.max_messages a legacy message is logged and counted, a
// local sender gets resource-constraint; what was stored is delivered.
func TestOfflineBound(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := offlineEnv(t, db, 2)
	_, hp := e.connect("bob@localhost", "pw", "phone")
	hp.Closed(unacked(t, "bob@localhost/phone")) // two messages: bob's store is full
	legacyChat(e, "bob@localhost", "echo", "xyzzy-three")
	settle(t, e.r, "bob@localhost")
	if !strings.Contains(e.log.String(), "message for an offline user refused") {
		t.Error("no log line for the refused legacy message")
	}
	alice, ha := e.connect("alice@localhost", "pw", "desk")
	send(t, ha, `<presence/>`)
	send(t, ha, `<message to='bob@localhost' type='chat' id='a1'><body>hello bob</body></message>`)
	reply := alice.wait(t, "the error", func(el *xmpp.Element) bool { return el.ID() == "a1" })
	if reply.Type() != "error" || !strings.Contains(reply.String(), "resource-constraint") || reply.From() != "bob@localhost" {
		t.Errorf("local sender got %s", reply)
	}
	if n, _ := db.CountOffline(context.Background(), "bob@localhost"); n != 2 {
		t.Errorf("bob holds %d, want 2", n)
	}
}

// TestOfflineLocalSender: a message from another user of the server waits for the
// recipient's next login like a legacy one, and the server advertises msgoffline.
func TestOfflineLocalSender(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := offlineEnv(t, db, 0)
	_, hp := e.connect("bob@localhost", "pw", "phone")
	hp.Closed(unacked(t, "bob@localhost/phone"))
	alice, ha := e.connect("alice@localhost", "pw", "desk")
	send(t, ha, `<presence/>`)
	send(t, ha, `<message to='bob@localhost' type='chat' id='a1'><body>hello bob</body></message>`)
	settle(t, e.r, "alice@localhost")
	settle(t, e.r, "bob@localhost")
	send(t, ha, `<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	info := alice.wait(t, "disco#info", func(el *xmpp.Element) bool { return el.ID() == "d1" })
	if !strings.Contains(info.String(), `var="msgoffline"`) {
		t.Errorf("no msgoffline in %s", info)
	}
	if alice.has(func(el *xmpp.Element) bool { return el.ID() == "a1" }) {
		t.Error("the sender got an answer")
	}
	bob, hb := e.connect("bob@localhost", "pw", "laptop")
	send(t, hb, `<presence/>`)
	m := bob.wait(t, "alice's message", contains("hello bob"))
	if m.From() != "alice@localhost/desk" || m.Child(xmpp.NSDelay, "delay") == nil {
		t.Errorf("delivered %s", m)
	}
	if got := strings.Join(bodies(bob), ","); got != "xyzzy-one,xyzzy-two,hello bob" {
		t.Errorf("bob got %s", got)
	}
	if e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE) != 0 {
		t.Error("the message to a local user went to the legacy network")
	}
}

// TestOfflineLoginBytes: a login gets stored messages up to offline's LoginBytes (the
// daemon passes half the session's send budget) and is told how many wait; they stay
// stored and arrive at the next login. More stored bytes than the budget closed the
// session at every login before.
func TestOfflineLoginBytes(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	e := newEnv(t, func(c *Config) {
		c.Features = []feature.Feature{offline.New(offline.Config{Store: db, Domain: "localhost", LoginBytes: 2500})}
	})
	_, hp := e.connect("carol@localhost", "pw", "phone")
	hp.Closed(unacked(t, "carol@localhost/phone")) // two small ones, and the linger
	for i := range 5 {                             // some 1,000 bytes each as stored
		legacyChat(e, "carol@localhost", "echo", fmt.Sprintf("big-%d %s", i, strings.Repeat("x", 900)))
	}
	settle(t, e.r, "carol@localhost")
	if n, _ := db.CountOffline(context.Background(), "carol@localhost"); n != 7 {
		t.Fatalf("stored %d messages, want 7", n)
	}
	tr, h := e.connect("carol@localhost", "pw", "laptop")
	send(t, h, `<presence/>`)
	notice := tr.wait(t, "the notice", contains("more stored messages are waiting"))
	got := bodies(tr)
	k := len(got) - 1 // delivered before the notice
	if k < 1 || k >= 7 || !strings.HasPrefix(got[k], fmt.Sprintf("%d more", 7-k)) || notice.From() != "localhost" {
		t.Fatalf("first login got %d messages and %q from %s", k, got[len(got)-1], notice.From())
	}
	if n, _ := db.CountOffline(context.Background(), "carol@localhost"); n != 7-k {
		t.Errorf("%d left stored, want %d", n, 7-k)
	}
	h.Closed(nil)
	tr2, h2 := e.connect("carol@localhost", "pw", "tablet")
	send(t, h2, `<presence/>`)
	next := tr2.wait(t, "the next stored message", contains("big-"))
	if want := fmt.Sprintf("big-%d", k-2); !strings.HasPrefix(next.ChildText(xmpp.NSClient, "body"), want) {
		t.Errorf("the next login's first message %.10q, want %s", next.ChildText(xmpp.NSClient, "body"), want)
	}
}

// TestFeatValues: a feature's per-user state is found under its key, a second SetValue with
// the same key replaces it rather than adding an entry (the slice holds one per key), and
// keys of different types do not meet.
func TestFeatValues(t *testing.T) {
	type keyA struct{}
	type keyB struct{}
	u := &user{}
	if v := u.featValue(keyA{}); v != nil {
		t.Fatalf("empty user: %v", v)
	}
	for i := range 10 {
		u.setFeatValue(keyA{}, i)
		u.setFeatValue(keyB{}, -i)
	}
	if len(u.featVals) != 2 {
		t.Fatalf("%d entries for two keys", len(u.featVals))
	}
	if a, b := u.featValue(keyA{}), u.featValue(keyB{}); a != 9 || b != -9 {
		t.Fatalf("got %v and %v, want 9 and -9", a, b)
	}
	if v := u.featValue(struct{}{}); v != nil {
		t.Fatalf("an unknown key found %v", v)
	}
}
