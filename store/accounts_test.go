package store

import (
	"testing"
	"time"
)

// TestAccounts: the first login creates the account, later ones move last_login only;
// erase_user deletes it.
func TestAccounts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		if _, ok, err := db.Account(ctx, "alice@gw"); ok || err != nil {
			t.Fatalf("unknown account: ok %v err %v", ok, err)
		}
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := db.TouchAccount(ctx, "alice@gw", t0); err != nil {
			t.Fatal(err)
		}
		if err := reopen().TouchAccount(ctx, "alice@gw", t0.Add(time.Hour)); err != nil {
			t.Fatal(err) // another host, the same account
		}
		a, ok, err := db.Account(ctx, "alice@gw")
		if !ok || err != nil || !a.FirstLogin.Equal(t0) || !a.LastLogin.Equal(t0.Add(time.Hour)) {
			t.Errorf("account %+v ok %v err %v", a, ok, err)
		}
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db.Account(ctx, "alice@gw"); ok {
			t.Error("erase_user left the account")
		}
	})
}
