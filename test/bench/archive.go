package bench

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// ArchivePlan is the message-archive test (XEP-0313, issue 21): the echo round trip with
// the archive off and on, and the latency of "the last 50 messages of one conversation"
// with Entries messages in the archive (spectrum2 on SQLite only).
type ArchivePlan struct {
	Sessions     int           // echo sessions of the round-trip test; 0: no archive test
	MsgTime      time.Duration // length of each round-trip test
	Entries      int           // archived messages in the store for the query test
	Conversation int           // of them, in the one conversation that is queried
	Queries      int           // queries timed
	// OursOnly leaves Prosody's mod_mam out (the quick run: with a disk sync per archived
	// message its round trips with the archive on need more than the quick run's seconds).
	OursOnly bool
}

// ArchiveResult is the archive test.
type ArchiveResult struct {
	Off, On  MsgResult // closed-loop echo round trips, archive off and on
	Entries  int
	FillRate float64 // messages per second written into the store to prepare the query test
	Query    Summary // MAM query for the last 50 of one conversation, to the <fin/>
	Results  int     // results per query (50 unless the conversation is shorter)
	Err      string
}

// Cost is the share of round-trip capacity the archive takes.
func (r ArchiveResult) Cost() float64 {
	if r.Off.Rate() == 0 {
		return 0
	}
	return 1 - r.On.Rate()/r.Off.Rate()
}

// CPUCost is the archive's cost from the daemon's CPU time per round trip (off over
// on): the capacity it takes on a core of its own, which the rates show only when the
// daemon's core is not shared (on a loaded machine the rates swing with the load).
func (r ArchiveResult) CPUCost() float64 {
	off, on := r.Off.CPUPerMsg(), r.On.CPUPerMsg()
	if on == 0 {
		return 0
	}
	return 1 - float64(off)/float64(on)
}

// RunArchive measures the archive on srv (spectrum2): the closed-loop echo rate with
// mam.enabled false and true, then fills the SQLite store with plan.Entries messages and
// times MAM queries of one user for its last 50 messages with echo.
func RunArchive(ctx context.Context, srv *Server, cfg *tls.Config, plan ArchivePlan, workers int, w io.Writer) ArchiveResult {
	var r ArchiveResult
	var err error
	done := Phase(w, srv.Name+" archive off")
	r.Off, err = archiveRoundTrips(ctx, srv, cfg, plan, workers, true)
	done()
	if err != nil {
		r.Err = "archive off: " + err.Error()
		return r
	}
	done = Phase(w, srv.Name+" archive on")
	r.On, err = archiveRoundTrips(ctx, srv, cfg, plan, workers, false)
	done()
	if err != nil {
		r.Err = "archive on: " + err.Error()
		return r
	}
	dsn := filepath.Join(srv.Dir, "archive-bench.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dsn + suffix)
	}
	user := fmt.Sprintf("%s@%s", srv.Account(0).User, srv.Domain)
	fill := fillArchive
	if srv.Name == "prosody" {
		fill = func(ctx context.Context, dsn, user, peer string, plan ArchivePlan) (time.Duration, error) {
			return fillProsodyArchive(ctx, dsn, user, peer, plan)
		}
	}
	done = Phase(w, fmt.Sprintf("%s archive fill %d", srv.Name, plan.Entries))
	el, err := fill(ctx, dsn, user, srv.Peer(0), plan)
	done()
	if err != nil {
		r.Err = "filling the archive: " + err.Error()
		return r
	}
	r.Entries, r.FillRate = plan.Entries, float64(plan.Entries)/el.Seconds()
	if err := srv.Start(ctx, Options{StorageDriver: store.SQLite, StorageDSN: dsn, ProsodyMAM: true}); err != nil {
		r.Err = err.Error()
		return r
	}
	defer srv.Stop()
	done = Phase(w, srv.Name+" archive queries")
	r.Query, r.Results, err = timeQueries(ctx, srv, cfg, plan)
	done()
	if err != nil {
		r.Err = "queries: " + err.Error()
	}
	return r
}

// archiveRoundTrips is the closed-loop echo test on a fresh server and store.
func archiveRoundTrips(ctx context.Context, srv *Server, cfg *tls.Config, plan ArchivePlan, workers int, off bool) (MsgResult, error) {
	dsn := filepath.Join(srv.Dir, "archive-rtt.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dsn + suffix)
	}
	if err := srv.Start(ctx, Options{StorageDriver: store.SQLite, StorageDSN: dsn, MAMOff: off, ProsodyMAM: !off}); err != nil {
		return MsgResult{}, err
	}
	defer srv.Stop()
	p := &Pool{}
	defer p.Close()
	if err := p.Open(ctx, srv, cfg, plan.Sessions, workers); err != nil {
		return MsgResult{}, err
	}
	var settle func() error
	if !off && srv.Name == "spectrum2" {
		// spectrum2's writer may be behind when the window ends: the window lasts until
		// it has written what the round trips queued (a MAM metadata query waits for that).
		a := srv.Account(0)
		a.Addr, a.Resource = srv.Addr, "settle"
		lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		s, _, err := Login(lctx, a, cfg, 0)
		cancel()
		if err != nil {
			return MsgResult{}, err
		}
		defer s.Close()
		settle = func() error {
			if err := s.Send([]byte(`<iq type='get' id='settle'><metadata xmlns='urn:xmpp:mam:2'/></iq>`)); err != nil {
				return err
			}
			_, err := s.await("settle")
			return err
		}
	}
	return RunClosed(p, srv, 90, plan.MsgTime, false, settle)
}

// fillBatch is the entries of one transaction of the fill, as the daemon's writer batches
// (archive/writer.go).
const fillBatch = 512

// fillArchive writes plan.Entries messages: plan.Conversation of user with peer, the rest
// spread over other users and contacts, 100 messages per conversation.
func fillArchive(ctx context.Context, dsn, user, peer string, plan ArchivePlan) (time.Duration, error) {
	st, err := store.Open(ctx, store.Config{Driver: store.SQLite, DSN: dsn})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	t0 := time.Now()
	batch := make([]store.ArchiveWrite, 0, fillBatch)
	for i := range plan.Entries {
		u, with := user, peer
		if i >= plan.Conversation {
			conv := (i - plan.Conversation) / 100
			u, with = fmt.Sprintf("filler%d%%demo@localhost", conv/10), fmt.Sprintf("contact%d@localhost", conv%10)
		}
		batch = append(batch, store.ArchiveWrite{User: u, Entry: archiveEntry(i, u, with)})
		if len(batch) == fillBatch || i == plan.Entries-1 {
			if err := st.AppendArchiveBatch(ctx, batch); err != nil {
				return 0, err
			}
			batch = batch[:0]
		}
	}
	return time.Since(t0), nil
}

// prosodySchema is mod_storage_sql's schema (Prosody 0.12, as it creates it on SQLite),
// which it creates itself only once the store is first used.
var prosodySchema = []string{
	`CREATE TABLE IF NOT EXISTS "prosody" ("host" TEXT NOT NULL, "user" TEXT NOT NULL, "store" TEXT NOT NULL, "key" TEXT NOT NULL, "type" TEXT NOT NULL, "value" TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS "prosody_index" ON "prosody" ("host", "user", "store", "key")`,
	`CREATE TABLE IF NOT EXISTS "prosodyarchive" ("sort_id" INTEGER PRIMARY KEY AUTOINCREMENT, "host" TEXT NOT NULL, "user" TEXT NOT NULL, "store" TEXT NOT NULL, "key" TEXT NOT NULL, "when" INTEGER NOT NULL, "with" TEXT NOT NULL, "type" TEXT NOT NULL, "value" TEXT NOT NULL)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS "prosodyarchive_index" ON "prosodyarchive" ("host", "user", "store", "key")`,
	`CREATE INDEX IF NOT EXISTS "prosodyarchive_with_when" ON "prosodyarchive" ("host", "user", "store", "with", "when")`,
	`CREATE INDEX IF NOT EXISTS "prosodyarchive_when" ON "prosodyarchive" ("host", "user", "store", "when")`,
	`CREATE INDEX IF NOT EXISTS "prosodyarchive_sort" ON "prosodyarchive" ("host", "user", "store", "sort_id")`,
}

// fillProsodyArchive writes plan.Entries messages into mod_mam's table (prosodyarchive
// of mod_storage_sql) as fillArchive does for spectrum2: the same conversations, the
// same stanzas, in transactions of fillBatch rows.
func fillProsodyArchive(ctx context.Context, dsn, user, peer string, plan ArchivePlan) (time.Duration, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	for _, q := range prosodySchema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("prosodyarchive: %w", err)
		}
	}
	t0 := time.Now()
	for start := 0; start < plan.Entries; start += fillBatch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO prosodyarchive (host, user, store, key, "when", "with", type, value) VALUES (?, ?, 'archive', ?, ?, ?, 'xml', ?)`)
		if err != nil {
			_ = tx.Rollback()
			return 0, fmt.Errorf("prosodyarchive: %w", err)
		}
		for i := start; i < min(start+fillBatch, plan.Entries); i++ {
			u, with := user, peer
			if i >= plan.Conversation {
				conv := (i - plan.Conversation) / 100
				u, with = fmt.Sprintf("filler%d@localhost", conv/10), fmt.Sprintf("contact%d@localhost", conv%10)
			}
			e := archiveEntry(i, u, with)
			node, host, _ := strings.Cut(u, "@")
			if _, err := st.ExecContext(ctx, host, node, e.StanzaID, e.At.Unix(), with, string(e.Stanza)); err != nil {
				_ = tx.Rollback()
				return 0, err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// archiveEntry is a message as the archive stores one: half sent, half received.
func archiveEntry(i int, user, with string) store.ArchiveEntry {
	var b [12]byte
	_, _ = rand.Read(b[:])
	from, to := with+"/bot", user
	if i%2 == 0 {
		from, to = user+"/phone", with
	}
	sid := hex.EncodeToString(b[:])
	return store.ArchiveEntry{StanzaID: sid, With: with, WithFull: with + "/bot", At: time.Now(),
		Stanza: fmt.Appendf(nil, `<message from="%s" to="%s" type="chat"><body>archived message %d with a body of a typical chat line</body>`+
			`<stanza-id xmlns="urn:xmpp:sid:0" by="%s" id="%s"/></message>`, from, to, i, user, sid)}
}

// queryGap is the time between two timed queries of one session of the archive test, and
// querySessions the sessions of the one user that take turns, so that the queries come
// every queryGap/querySessions, one at a time (each waits for the previous one's <fin/>).
const (
	queryGap      = 25 * time.Millisecond
	querySessions = 4
)

// timeQueries logs session 0's user in querySessions times and times plan.Queries queries
// for its last 50 messages with its peer, from the request to the <fin/>, the sessions
// taking turns.
func timeQueries(ctx context.Context, srv *Server, cfg *tls.Config, plan ArchivePlan) (Summary, int, error) {
	results := 0
	var ss []*Session
	defer func() {
		for _, s := range ss {
			s.Close()
		}
	}()
	for k := range querySessions {
		a := srv.Account(0)
		a.Addr, a.Resource = srv.Addr, fmt.Sprintf("query%d", k)
		lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		s, _, err := Login(lctx, a, cfg, 0)
		cancel()
		if err != nil {
			return Summary{}, 0, err
		}
		s.OnMessage(func(_ *Session, el []byte) { results++ }) // await runs handle on this goroutine
		ss = append(ss, s)
	}
	var rec Recorder
	// One query per queryGap from each session: a client within the shipped
	// limits.stanzas_per_second (50). Back to back from one session, the queries past its
	// burst wait 20 ms each in the rate limit, which the test measured instead of the
	// archive; one session at 40 a second made the 1,000 queries take 25 s.
	tick := time.NewTicker(queryGap / querySessions)
	defer tick.Stop()
	for q := range plan.Queries {
		<-tick.C
		s := ss[q%len(ss)]
		id := fmt.Sprintf("mam%d", q)
		results = 0
		req := fmt.Appendf(nil, `<iq type='set' id='%s'><query xmlns='urn:xmpp:mam:2' queryid='%s'>`+
			`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>`+
			`<field var='with'><value>%s</value></field></x>`+
			`<set xmlns='http://jabber.org/protocol/rsm'><max>50</max><before/></set></query></iq>`, id, id, srv.Peer(0))
		t0 := time.Now()
		if err := s.Send(req); err != nil {
			return rec.Summary(), results, err
		}
		if _, err := s.await(id); err != nil {
			return rec.Summary(), results, err
		}
		rec.Add(time.Since(t0))
	}
	return rec.Summary(), results, nil
}
