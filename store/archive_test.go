package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func entry(i int, with, room string, at time.Time) ArchiveEntry {
	return ArchiveEntry{Room: room, StanzaID: fmt.Sprintf("sid-%s-%d", room, i), With: with, WithFull: with + "/r",
		At: at, OriginID: fmt.Sprintf("o%d", i), LegacyID: fmt.Sprintf("l%d", i),
		Stanza: []byte(fmt.Sprintf("<message><body>%d</body></message>", i))}
}

// fillArchive stores n entries for alice, alternating between two contacts, one second
// apart from t0, and one entry in a room and one of bob's.
func fillArchive(t *testing.T, db *DB, n int, t0 time.Time) {
	t.Helper()
	for i := range n {
		with := []string{"a@gw", "b@gw"}[i%2]
		if err := db.AppendArchive(ctx, "alice@gw", entry(i, with, "", t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendArchive(ctx, "alice@gw", entry(0, "#r@gw", "#r@gw", t0)); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendArchive(ctx, "bob@gw", entry(0, "a@gw", "", t0)); err != nil {
		t.Fatal(err)
	}
}

func bodies(p ArchivePage) []string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.StanzaID)
	}
	return out
}

func TestArchiveQuery(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		fillArchive(t, db, 10, t0)
		p, err := db.QueryArchive(ctx, "alice@gw", ArchiveQuery{Max: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(bodies(p)); got != "[sid--0 sid--1 sid--2]" || p.Complete {
			t.Errorf("first page %s complete %v", got, p.Complete)
		}
		e := p.Entries[1]
		if e.With != "b@gw" || e.WithFull != "b@gw/r" || e.OriginID != "o1" || e.LegacyID != "l1" ||
			!e.At.Equal(t0.Add(time.Second)) || string(e.Stanza) != "<message><body>1</body></message>" {
			t.Errorf("entry %+v", e)
		}
		// The last page of one contact, oldest first.
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{With: "a@gw", Max: 2, Last: true})
		if got := fmt.Sprint(bodies(p)); got != "[sid--6 sid--8]" || p.Complete {
			t.Errorf("last page with a: %s complete %v", got, p.Complete)
		}
		// Before a sequence, backwards to the start.
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{With: "a@gw", Max: 5, Last: true, BeforeSeq: p.Entries[0].Seq})
		if got := fmt.Sprint(bodies(p)); got != "[sid--0 sid--2 sid--4]" || !p.Complete {
			t.Errorf("page before 6: %s complete %v", got, p.Complete)
		}
		seq, err := db.ArchiveSeq(ctx, "alice@gw", "", "sid--4")
		if err != nil {
			t.Fatal(err)
		}
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{AfterSeq: seq, Max: 100,
			Start: t0.Add(5 * time.Second), End: t0.Add(8 * time.Second)})
		if got := fmt.Sprint(bodies(p)); got != "[sid--5 sid--6 sid--7 sid--8]" || !p.Complete {
			t.Errorf("after 4 in [5s, 8s]: %s complete %v", got, p.Complete)
		}
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{StanzaIDs: []string{"sid--3", "sid--7", "nope"}, Max: 10})
		if got := fmt.Sprint(bodies(p)); got != "[sid--3 sid--7]" {
			t.Errorf("ids: %s", got)
		}
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{Room: "#r@gw", Max: 10})
		if got := fmt.Sprint(bodies(p)); got != "[sid-#r@gw-0]" {
			t.Errorf("room: %s", got)
		}
		if n, _ := db.CountArchive(ctx, "alice@gw", ArchiveQuery{With: "b@gw", Max: 1}); n != 5 {
			t.Errorf("count with b = %d, want 5", n)
		}
		if n, _ := db.CountArchive(ctx, "alice@gw", ArchiveQuery{With: "b@gw", AfterSeq: seq, Max: 1, Last: true}); n != 3 {
			t.Errorf("count with b after 4 = %d, want 3", n)
		}
		if _, err := db.ArchiveSeq(ctx, "alice@gw", "", "sid-#r@gw-0"); !errors.Is(err, ErrUnknownID) {
			t.Errorf("a room's id found in the user archive: %v", err)
		}
		if _, err := db.ArchiveSeq(ctx, "bob@gw", "", "sid--4"); !errors.Is(err, ErrUnknownID) {
			t.Errorf("alice's id found in bob's archive: %v", err)
		}
		if err := db.AppendArchive(ctx, "alice@gw", entry(4, "a@gw", "", t0)); err == nil {
			t.Error("a second entry with the same stanza-id was stored")
		}
	})
}

// TestArchiveBatch: a batch is stored whole, or not at all when one entry fails.
func TestArchiveBatch(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		now := time.Now()
		ws := []ArchiveWrite{{"alice@gw", entry(1, "a@gw", "", now)}, {"bob@gw", entry(2, "a@gw", "", now)}, {"alice@gw", entry(3, "b@gw", "", now)}}
		if err := db.AppendArchiveBatch(ctx, ws); err != nil {
			t.Fatal(err)
		}
		a, _ := db.CountUserArchive(ctx, "alice@gw")
		b, _ := db.CountUserArchive(ctx, "bob@gw")
		if a != 2 || b != 1 {
			t.Errorf("after the batch: alice %d, bob %d", a, b)
		}
		last, _ := db.LastArchiveSeq(ctx, "alice@gw")
		if n, l, err := db.ArchiveTotals(ctx, "alice@gw"); n != 2 || l != last || l == 0 || err != nil {
			t.Errorf("alice's totals: %d entries, last %d (LastArchiveSeq %d), %v", n, l, last, err)
		}
		if n, l, err := db.ArchiveTotals(ctx, "carol@gw"); n != 0 || l != 0 || err != nil {
			t.Errorf("carol's totals: %d entries, last %d, %v", n, l, err)
		}
		dup := []ArchiveWrite{{"alice@gw", entry(4, "a@gw", "", now)}, {"alice@gw", entry(1, "a@gw", "", now)}}
		if err := db.AppendArchiveBatch(ctx, dup); err == nil {
			t.Error("a batch with a repeated stanza-id was stored")
		}
		if a, _ := db.CountUserArchive(ctx, "alice@gw"); a != 2 {
			t.Errorf("a failed batch left %d entries, want 2", a)
		}
	})
}

// TestArchivePagingBothWays: pages of 7 over 100 entries, forwards and backwards, see
// every entry once.
func TestArchivePagingBothWays(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		fillArchive(t, db, 100, time.Now())
		seen := map[string]bool{}
		q := ArchiveQuery{Max: 7}
		for {
			p, err := db.QueryArchive(ctx, "alice@gw", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				if seen[e.StanzaID] {
					t.Fatalf("%s twice", e.StanzaID)
				}
				seen[e.StanzaID] = true
			}
			if p.Complete {
				break
			}
			q.AfterSeq = p.Entries[len(p.Entries)-1].Seq
		}
		back := 0
		q = ArchiveQuery{Max: 7, Last: true}
		for {
			p, _ := db.QueryArchive(ctx, "alice@gw", q)
			back += len(p.Entries)
			if p.Complete {
				break
			}
			q.BeforeSeq = p.Entries[0].Seq
		}
		if len(seen) != 100 || back != 100 {
			t.Errorf("forwards %d, backwards %d, want 100", len(seen), back)
		}
	})
}

func TestArchiveRetention(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		old := time.Now().Add(-8 * 24 * time.Hour)
		fillArchive(t, db, 10, old) // alice: 10 + 1 room entry, bob: 1, all old
		if err := db.AppendArchive(ctx, "alice@gw", entry(100, "a@gw", "", time.Now())); err != nil {
			t.Fatal(err)
		}
		if n, err := db.TrimArchive(ctx, "alice@gw", 8); err != nil || n != 4 {
			t.Fatalf("trim deleted %d (%v), want 4", n, err)
		}
		if n, _ := db.CountUserArchive(ctx, "alice@gw"); n != 8 {
			t.Errorf("alice holds %d after trim, want 8", n)
		}
		p, _ := db.QueryArchive(ctx, "alice@gw", ArchiveQuery{Max: 1, Last: true})
		if len(p.Entries) != 1 || p.Entries[0].StanzaID != "sid--100" {
			t.Errorf("the newest did not survive the trim: %v", bodies(p))
		}
		cut := time.Now().Add(-7 * 24 * time.Hour)
		if n, err := db.ExpireArchive(ctx, cut, 5); err != nil || n != 5 {
			t.Fatalf("expire deleted %d (%v), want 5", n, err)
		}
		if n, _ := db.ExpireArchive(ctx, cut, 5); n != 3 {
			t.Errorf("second expire deleted %d, want 3", n)
		}
		if n, _ := db.CountUserArchive(ctx, "alice@gw"); n != 1 {
			t.Errorf("alice holds %d after expiry, want the new one", n)
		}
		if n, err := db.PurgeArchive(ctx, "alice@gw"); err != nil || n != 1 {
			t.Errorf("purge deleted %d (%v)", n, err)
		}
	})
}

func TestArchivePrefs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		if _, ok, err := db.ArchivePrefs(ctx, "alice@gw"); ok || err != nil {
			t.Fatalf("prefs of a new user: %v %v", ok, err)
		}
		for _, p := range []ArchivePrefs{
			{Default: "roster", Always: []string{"a@gw", "b@gw"}, Never: []string{"c@gw"}},
			{Default: "never"},
		} {
			if err := db.SetArchivePrefs(ctx, "alice@gw", p); err != nil {
				t.Fatal(err)
			}
			got, ok, err := db.ArchivePrefs(ctx, "alice@gw")
			if !ok || err != nil || fmt.Sprint(got) != fmt.Sprint(p) {
				t.Errorf("prefs %+v (%v %v), want %+v", got, ok, err, p)
			}
		}
		fillArchive(t, db, 2, time.Now())
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		_, ok, _ := db.ArchivePrefs(ctx, "alice@gw")
		a, _ := db.CountUserArchive(ctx, "alice@gw")
		b, _ := db.CountUserArchive(ctx, "bob@gw")
		if ok || a != 0 || b != 1 {
			t.Errorf("after erasing alice: prefs %v, alice %d, bob %d entries", ok, a, b)
		}
	})
}

// TestArchiveIDs (issue 24): an entry is found by its stanza-id and by its legacy id (the
// newest with that id, in that room only), and a database of the schema before the
// legacy id's index gets it on opening, its entries found by legacy id.
func TestArchiveIDs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, c Config, reopen func() *DB) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		fillArchive(t, db, 4, t0)
		again := entry(9, "a@gw", "", t0.Add(time.Minute))
		again.LegacyID = "l2" // a network that reuses an id: the newest entry is meant
		if err := db.AppendArchive(ctx, "alice@gw", again); err != nil {
			t.Fatal(err)
		}
		e, err := db.ArchiveByStanzaID(ctx, "alice@gw", "", "sid--1")
		if err != nil || e.LegacyID != "l1" || e.OriginID != "o1" || e.With != "b@gw" || !e.At.Equal(t0.Add(time.Second)) || e.Stanza != nil {
			t.Errorf("by stanza-id: %+v %v", e, err)
		}
		if e, err = db.ArchiveByLegacyID(ctx, "alice@gw", "", "l2"); err != nil || e.StanzaID != "sid--9" {
			t.Errorf("by legacy id l2: %+v %v", e, err)
		}
		if e, err = db.ArchiveByLegacyID(ctx, "alice@gw", "#r@gw", "l0"); err != nil || e.StanzaID != "sid-#r@gw-0" {
			t.Errorf("by legacy id in the room: %+v %v", e, err)
		}
		for _, q := range [][3]string{{"bob@gw", "", "sid--1"}, {"alice@gw", "#r@gw", "sid--1"}, {"alice@gw", "", "nope"}} {
			if _, err := db.ArchiveByStanzaID(ctx, q[0], q[1], q[2]); !errors.Is(err, ErrUnknownID) {
				t.Errorf("by stanza-id %v: %v, want ErrUnknownID", q, err)
			}
		}
		for _, q := range [][3]string{{"bob@gw", "", "l1"}, {"alice@gw", "#r@gw", "l1"}, {"alice@gw", "", ""}} {
			if _, err := db.ArchiveByLegacyID(ctx, q[0], q[1], q[2]); !errors.Is(err, ErrUnknownID) {
				t.Errorf("by legacy id %v: %v, want ErrUnknownID", q, err)
			}
		}
		// The schema of migration 6 (issue 21 before migration 8): random stanza-ids under
		// a unique index, an index on the time, no index on the legacy ids nor the row id
		// table. On opening the database is upgraded (7 adds the legacy ids' index, 8
		// drops it with the time's and keeps the old stanza-ids under a partial index);
		// its entries are still found by both ids, and a new one gets a derived id.
		for _, q := range []string{`DROP INDEX archive_sid`, `CREATE UNIQUE INDEX archive_sid ON archive (username, stanza_id)`,
			`CREATE INDEX archive_stamp ON archive (stamp)`, `DROP TABLE archive_ids`} {
			if _, err := db.write.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.write.ExecContext(ctx, db.rebind("UPDATE schema_version SET version = ?"), 6); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = reopen()
		var n int
		q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('archive_legacy', 'archive_stamp')`
		if c.Driver == Postgres {
			q = `SELECT COUNT(*) FROM pg_indexes WHERE indexname IN ('archive_legacy', 'archive_stamp')`
		}
		if err := db.read.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 0 {
			t.Fatalf("archive_legacy and archive_stamp after the upgrade: %d indexes, %v", n, err)
		}
		if e, err = db.ArchiveByLegacyID(ctx, "alice@gw", "", "l3"); err != nil || e.StanzaID != "sid--3" {
			t.Errorf("by legacy id after the upgrade: %+v %v", e, err)
		}
		if e, err = db.ArchiveByStanzaID(ctx, "alice@gw", "", "sid--2"); err != nil || e.LegacyID != "l2" {
			t.Errorf("by stanza-id after the upgrade: %+v %v", e, err)
		}
		fresh := entry(10, "a@gw", "", t0.Add(2*time.Minute))
		fresh.StanzaID = ""
		if err := db.AppendArchive(ctx, "alice@gw", fresh); err != nil {
			t.Fatal(err)
		}
		p, err := db.QueryArchive(ctx, "alice@gw", ArchiveQuery{Max: 1, Last: true})
		if err != nil || len(p.Entries) != 1 || p.Entries[0].LegacyID != "l10" || len(p.Entries[0].StanzaID) != stanzaIDChars {
			t.Fatalf("the entry after the upgrade: %+v %v", p, err)
		}
		if e, err = db.ArchiveByStanzaID(ctx, "alice@gw", "", p.Entries[0].StanzaID); err != nil || e.LegacyID != "l10" {
			t.Errorf("the new entry by its derived stanza-id: %+v %v", e, err)
		}
	})
}

// TestArchiveDerivedIDs (issue 21): stanza-ids derived from reserved row ids are found
// by ArchiveSeq, by the ids filter beside a stored id, for their user and room only; a
// changed character or another database's id names nothing; reservations go on above
// every entry after a reopen, and the key stays.
func TestArchiveDerivedIDs(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		fillArchive(t, db, 2, t0) // stored ids sid--0, sid--1, ...
		first, err := db.ReserveArchiveSeqs(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		var sids []string
		for i := range 3 {
			e := entry(20+i, "a@gw", "", t0.Add(time.Hour))
			e.Seq, e.StanzaID = first+int64(i), db.ArchiveStanzaID(first+int64(i))
			sids = append(sids, e.StanzaID)
			if err := db.AppendArchive(ctx, "alice@gw", e); err != nil {
				t.Fatal(err)
			}
		}
		if sids[0] == sids[1] || len(sids[0]) != stanzaIDChars {
			t.Fatalf("derived ids %v", sids)
		}
		if seq, err := db.ArchiveSeq(ctx, "alice@gw", "", sids[1]); err != nil || seq != first+1 {
			t.Errorf("ArchiveSeq(%s) = %d, %v; want %d", sids[1], seq, err, first+1)
		}
		p, err := db.QueryArchive(ctx, "alice@gw", ArchiveQuery{StanzaIDs: []string{sids[2], "sid--1", sids[0]}, Max: 10})
		if got := fmt.Sprint(bodies(p)); err != nil || got != fmt.Sprint([]string{"sid--1", sids[0], sids[2]}) {
			t.Errorf("ids filter: %s %v", got, err)
		}
		forged := []byte(sids[1])
		forged[3] ^= 1
		for _, q := range [][3]string{{"bob@gw", "", sids[1]}, {"alice@gw", "#r@gw", sids[1]}, {"alice@gw", "", string(forged)}} {
			if _, err := db.ArchiveSeq(ctx, q[0], q[1], q[2]); !errors.Is(err, ErrUnknownID) {
				t.Errorf("ArchiveSeq %v: %v, want ErrUnknownID", q, err)
			}
		}
		// An entry without a stanza-id gets a row id and the id derived from it.
		if err := db.AppendArchive(ctx, "alice@gw", ArchiveEntry{With: "a@gw", At: t0, Stanza: []byte("<message/>")}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = reopen()
		if seq, err := db.ArchiveSeq(ctx, "alice@gw", "", sids[2]); err != nil || seq != first+2 {
			t.Errorf("after reopening, ArchiveSeq = %d, %v: the key changed?", seq, err)
		}
		p, _ = db.QueryArchive(ctx, "alice@gw", ArchiveQuery{Max: 1, Last: true})
		if len(p.Entries) != 1 || p.Entries[0].Seq != first+3 || p.Entries[0].StanzaID != db.ArchiveStanzaID(first+3) {
			t.Errorf("the entry without a stanza-id: %+v", p.Entries)
		}
		if next, err := db.ReserveArchiveSeqs(ctx, 1); err != nil || next != first+4 {
			t.Errorf("next reservation %d, %v; want %d", next, err, first+4)
		}
	})
}
