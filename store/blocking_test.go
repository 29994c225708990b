package store

import (
	"errors"
	"slices"
	"testing"
)

// TestBlocklist: block keeps the first order and no duplicates, unblock removes some or
// all, users do not see each other's lists, the bound refuses a whole request, and the
// list survives a reopen and goes with EraseUser.
func TestBlocklist(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		want := func(h *DB, user string, jids ...string) {
			t.Helper()
			got, err := h.Blocklist(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, jids) {
				t.Errorf("%s's blocklist = %q, want %q", user, got, jids)
			}
		}
		want(db, "alice@gw")
		if err := db.Block(ctx, "alice@gw", []string{"b@gw", "c@gw/r", "example.org"}, 5); err != nil {
			t.Fatal(err)
		}
		if err := db.Block(ctx, "alice@gw", []string{"c@gw/r", "d@gw"}, 5); err != nil {
			t.Fatal(err)
		}
		if err := db.Block(ctx, "bob@gw", []string{"b@gw"}, 5); err != nil {
			t.Fatal(err)
		}
		want(db, "alice@gw", "b@gw", "c@gw/r", "example.org", "d@gw")
		if err := db.Block(ctx, "alice@gw", []string{"e@gw", "f@gw"}, 5); !errors.Is(err, ErrFull) {
			t.Fatalf("blocking past the limit: %v, want ErrFull", err)
		}
		want(db, "alice@gw", "b@gw", "c@gw/r", "example.org", "d@gw")
		if err := db.Unblock(ctx, "alice@gw", []string{"c@gw/r", "nobody@gw"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = reopen()
		want(db, "alice@gw", "b@gw", "example.org", "d@gw")
		if err := db.Unblock(ctx, "alice@gw", nil); err != nil {
			t.Fatal(err)
		}
		want(db, "alice@gw")
		want(db, "bob@gw", "b@gw")
		if err := db.EraseUser(ctx, "bob@gw"); err != nil {
			t.Fatal(err)
		}
		want(db, "bob@gw")
	})
}
