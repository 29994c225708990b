package archive

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// user is the feature.User of the archive's hooks: one user, its values kept.
type user struct {
	feature.User // the rest is not called by the hooks tested here
	vals         map[any]any
}

func (u *user) JID() jid.JID         { return jid.MustParse("alice@gw") }
func (u *user) Value(k any) any      { return u.vals[k] }
func (u *user) SetValue(k, v any)    { u.vals[k] = v }
func (u *user) InRoster(string) bool { return true }

// TestMessageIDs (issue 24): a room message's stanza-id and its legacy id map to each
// other, from what the user's actor remembers and, after a restart of the feature (a new
// login), from the store; the ids of another room or of the user's own archive do not.
func TestMessageIDs(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := New(Config{Store: db})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	u := &user{vals: map[any]any{}}
	msg := xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", "#lobby@gw/Ada").
		Append(xmpp.New(xmpp.NSClient, "body").AppendText("hi"))
	a.RoomMessage(u, "#lobby@gw/Ada", msg, "legacy-1")
	sid := msg.Child(xmpp.NSSID, "stanza-id").Attr("id")
	check := func(when string, u feature.User) {
		t.Helper()
		if got, ok := a.LegacyID(u, "#lobby@gw", sid); !ok || got != "legacy-1" {
			t.Errorf("%s: legacy id of %s: %q %v", when, sid, got, ok)
		}
		if got, ok := a.StanzaID(u, "#lobby@gw", "legacy-1"); !ok || got != sid {
			t.Errorf("%s: stanza-id of legacy-1: %q %v, want %s", when, got, ok, sid)
		}
		for _, room := range []string{"", "#other@gw"} {
			if got, ok := a.LegacyID(u, room, sid); ok {
				t.Errorf("%s: %s found in %q: %q", when, sid, room, got)
			}
			if got, ok := a.StanzaID(u, room, "legacy-1"); ok {
				t.Errorf("%s: legacy-1 found in %q: %q", when, room, got)
			}
		}
		if got, ok := a.LegacyID(u, "#lobby@gw", "client-id"); ok {
			t.Errorf("%s: a client's own id mapped to %q", when, got)
		}
	}
	check("remembered", u)
	a.flush()
	check("stored", &user{vals: map[any]any{}})
	// Past the bound the oldest is no longer remembered, and found in the store.
	for i := range recentIDs {
		m := xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", "#lobby@gw/Ada").
			Append(xmpp.New(xmpp.NSClient, "body").AppendText("more"))
		a.RoomMessage(u, "#lobby@gw", m, "more-"+itoa(i))
	}
	if _, ok := recent(u, func(e idEntry) bool { return e.stanzaID == sid }); ok {
		t.Errorf("the ring holds more than %d entries", recentIDs)
	}
	a.flush()
	check("past the bound", u)
}

func itoa(i int) string { return strconv.Itoa(i) }
