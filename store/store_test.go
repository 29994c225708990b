package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// driver makes a fresh, empty database of one kind.
type driver struct {
	name string
	make func(t *testing.T) Config
}

// drivers are every driver the suite runs against: each test below runs on both.
func drivers() []driver {
	return []driver{
		{SQLite, func(t *testing.T) Config {
			return Config{Driver: SQLite, DSN: filepath.Join(t.TempDir(), "sub", "spectrum2.db")}
		}},
		{Postgres, func(t *testing.T) Config {
			return Config{Driver: Postgres, DSN: freshPostgres(t)}
		}},
	}
}

// forEachDriver runs f against a fresh database of each driver; open gives another handle
// on the same database, as a second host or a restart would have.
func forEachDriver(t *testing.T, f func(t *testing.T, db *DB, c Config, open func() *DB)) {
	for _, d := range drivers() {
		t.Run(d.name, func(t *testing.T) {
			c := d.make(t)
			open := func() *DB {
				t.Helper()
				db, err := Open(context.Background(), c)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			f(t, open(), c, open)
		})
	}
}

func msg(i int, at time.Time) Message {
	return Message{At: at, From: fmt.Sprintf("c%d@gw", i), Stanza: []byte(fmt.Sprintf("<message><body>%d</body></message>", i))}
}

var ctx = context.Background()

func TestOfflineOrderAndDelete(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
		for i := range 5 {
			if err := db.PushOffline(ctx, "alice@gw", msg(i, t0.Add(time.Duration(i)*time.Second)), 10); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.PushOffline(ctx, "bob@gw", msg(99, t0), 10); err != nil {
			t.Fatal(err)
		}
		got, err := db.Offline(ctx, "alice@gw", 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("got %d messages, want 3", len(got))
		}
		for i, m := range got {
			want := msg(i, t0.Add(time.Duration(i)*time.Second))
			if string(m.Stanza) != string(want.Stanza) || m.From != want.From || !m.At.Equal(want.At) {
				t.Errorf("message %d = %+v, want %+v", i, m, want)
			}
		}
		if err := db.DeleteOffline(ctx, "alice@gw", got[2].ID); err != nil {
			t.Fatal(err)
		}
		rest, err := db.Offline(ctx, "alice@gw", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != 2 || string(rest[0].Stanza) != string(msg(3, t0).Stanza) {
			t.Errorf("after delete: %d messages, first %q", len(rest), rest[0].Stanza)
		}
		if n, _ := db.CountOffline(ctx, "bob@gw"); n != 1 {
			t.Errorf("bob holds %d, want 1 (deleting alice's touched bob's)", n)
		}
	})
}

// TestOfflineLimit: the bound holds, also for concurrent writers (two hosts, or two
// handles on one SQLite file).
func TestOfflineLimit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		other := reopen()
		const limit = 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		full := 0
		for i := range 40 {
			wg.Add(1)
			go func(h *DB) {
				defer wg.Done()
				err := h.PushOffline(ctx, "alice@gw", msg(i, time.Now()), limit)
				if errors.Is(err, ErrFull) {
					mu.Lock()
					full++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}([]*DB{db, other}[i%2])
		}
		wg.Wait()
		if n, _ := db.CountOffline(ctx, "alice@gw"); n != limit || full != 40-limit {
			t.Errorf("stored %d and refused %d; want %d and %d", n, full, limit, 40-limit)
		}
	})
}

// TestOfflineExpire: the sweep deletes what is older than the cut, at most max per call.
func TestOfflineExpire(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		old, cut := time.Now().Add(-8*24*time.Hour), time.Now().Add(-7*24*time.Hour)
		for i := range 5 {
			if err := db.PushOffline(ctx, "alice@gw", msg(i, old), 100); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.PushOffline(ctx, "alice@gw", msg(9, time.Now()), 100); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ExpireOffline(ctx, cut, 3); err != nil || n != 3 {
			t.Fatalf("first sweep deleted %d (%v), want 3", n, err)
		}
		if n, err := db.ExpireOffline(ctx, cut, 3); err != nil || n != 2 {
			t.Fatalf("second sweep deleted %d (%v), want 2", n, err)
		}
		if got, _ := db.Offline(ctx, "alice@gw", 10); len(got) != 1 || string(got[0].Stanza) != string(msg(9, old).Stanza) {
			t.Errorf("left %d messages, want the new one", len(got))
		}
	})
}

// TestEraseUser: everything of one user goes, nothing of another.
func TestEraseUser(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		for _, u := range []string{"alice@gw", "bob@gw"} {
			if err := db.PushOffline(ctx, u, msg(1, time.Now()), 10); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		a, _ := db.CountOffline(ctx, "alice@gw")
		b, _ := db.CountOffline(ctx, "bob@gw")
		if a != 0 || b != 1 {
			t.Errorf("after erasing alice: alice %d, bob %d", a, b)
		}
	})
}

// TestReopen: data survives closing the database, migrations run once, and a database
// from a newer binary is refused with a clear error.
func TestReopen(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, c Config, reopen func() *DB) {
		if err := db.PushOffline(ctx, "alice@gw", msg(1, time.Now()), 10); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = reopen()
		if n, _ := db.CountOffline(ctx, "alice@gw"); n != 1 {
			t.Errorf("after reopening: %d messages, want 1", n)
		}
		if _, err := db.write.ExecContext(ctx, db.rebind("UPDATE schema_version SET version = ?"), SchemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err := Open(ctx, c)
		if err == nil {
			t.Fatal("a database of a newer schema was opened")
		}
		t.Log(err)
	})
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(ctx, Config{Driver: "mysql"}); err == nil {
		t.Error("unknown driver accepted")
	}
	if _, err := Open(ctx, Config{Driver: Postgres, DSN: fmt.Sprintf("postgres://x@127.0.0.1:%d/x?sslmode=disable&connect_timeout=5", testsrv.FreePort(t))}); err == nil {
		t.Error("a PostgreSQL that is not there was opened")
	}
}

func TestDollarParams(t *testing.T) {
	if got := dollarParams("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("got %q", got)
	}
}
