package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gospectrum/spectrum2/store"
)

// bulkFill writes what the PushOffline fill does: perUser messages for every user, readable
// through the store in arrival order, on a store the package migrated.
func TestBulkFillStoresWhatFillDoes(t *testing.T) {
	ctx := context.Background()
	db := OfflineDB{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "offline.db")}
	st, err := store.Open(ctx, store.Config{Driver: db.Driver, DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// More rows than one statement and one transaction hold, and not a multiple of either.
	users, perUser := 7, (bulkRows*bulkStatements)/7+3
	if _, err := bulkFill(ctx, db, users, perUser, "held"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"held0@localhost", "held6@localhost"} {
		n, err := st.CountOffline(ctx, u)
		if err != nil || n != perUser {
			t.Fatalf("%s holds %d messages (%v), want %d", u, n, err, perUser)
		}
	}
	ms, err := st.Offline(ctx, "held6@localhost", 2)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Offline: %d messages, %v", len(ms), err)
	}
	if want := string(offlineStanza("held6@localhost", 6)); string(ms[0].Stanza) != want {
		t.Fatalf("first stanza %q, want %q", ms[0].Stanza, want)
	}
}
