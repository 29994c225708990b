package offline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// TestSweepBounded: one sweep deletes at most sweepRounds batches of expired messages and
// leaves the recent ones.
func TestSweepBounded(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := time.Now().Add(-8 * 24 * time.Hour)
	for i := range 10 {
		at := old
		if i == 9 {
			at = time.Now()
		}
		if err := db.PushOffline(ctx, "alice@gw", store.Message{At: at, From: "x@gw", Stanza: []byte("<message/>")}, 100); err != nil {
			t.Fatal(err)
		}
	}
	o := New(Config{Store: db, SweepBatch: 2})
	if n := o.Sweep(ctx); n != 2*sweepRounds {
		t.Errorf("first sweep deleted %d, want %d", n, 2*sweepRounds)
	}
	if n := o.Sweep(ctx); n != 9-2*sweepRounds {
		t.Errorf("second sweep deleted %d, want %d", n, 9-2*sweepRounds)
	}
	if n, _ := db.CountOffline(ctx, "alice@gw"); n != 1 {
		t.Errorf("left %d, want the recent one", n)
	}
}

func TestParseRoundTrip(t *testing.T) {
	el, err := parse([]byte(`<message to="a@gw" type="chat"><body>x &amp; y</body><delay xmlns="urn:xmpp:delay" stamp="2026-01-01T00:00:00Z"/></message>`))
	if err != nil {
		t.Fatal(err)
	}
	if el.ChildText("jabber:client", "body") != "x & y" || el.Child("urn:xmpp:delay", "delay") == nil {
		t.Errorf("parsed %s", el)
	}
}
