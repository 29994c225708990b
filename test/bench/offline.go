package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// OfflineDB is one storage driver the offline test runs on.
type OfflineDB struct {
	Driver string // store.SQLite or store.Postgres
	DSN    string // PostgreSQL: a fresh database; SQLite: empty (a file in the server's directory)
}

// OfflinePlan is the offline-message test (XEP-0160, issue 20), per driver.
type OfflinePlan struct {
	DBs     []OfflineDB
	Store   int // messages pushed into the store to time its write rate
	Deliver int // messages stored for one user, timed from its initial presence until all arrived
	Users   int // users that hold PerUser messages each while the daemon's memory is read
	PerUser int
}

// OfflineResult is the offline test on one driver.
type OfflineResult struct {
	Driver      string
	StoreRate   float64       // messages per second into the store, Writers concurrent writers
	Deliver     time.Duration // initial presence to the last of Deliver stored messages
	Delivered   int
	Users       int
	PerUser     int
	RSSEmpty    int64 // the daemon's tree RSS after start on an empty store, bytes
	RSSFull     int64 // the same with Users x PerUser messages stored
	FillRate    float64
	Err         string
	StoreWriter int
}

// storeWriters is how many goroutines push at once: the daemon pushes from many users'
// actors at once, and SQLite's one writer connection serialises them as there.
const storeWriters = 8

// offlineStanza is a stored message as the router serialises one (jabber:client default).
func offlineStanza(to string, i int) []byte {
	return fmt.Appendf(nil, `<message from="contact%d@localhost/bot" to="%s" type="chat"><body>offline message %d with a body of a typical chat line</body>`+
		`<delay xmlns="urn:xmpp:delay" from="localhost" stamp="2026-01-01T00:00:00Z"/></message>`, i%100, to, i)
}

// RunOffline measures on each driver: the store's write rate, the daemon's memory with an
// empty store and with plan.Users x plan.PerUser messages stored (they stay in the
// database, not in the daemon), and the delivery of plan.Deliver messages at one login.
func RunOffline(ctx context.Context, srv *Server, cfg *tls.Config, plan OfflinePlan, db OfflineDB) OfflineResult {
	r := OfflineResult{Driver: db.Driver, Users: plan.Users, PerUser: plan.PerUser, StoreWriter: storeWriters}
	if db.Driver == store.SQLite {
		db.DSN = filepath.Join(srv.Dir, "offline-bench.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(db.DSN + suffix)
		}
	}
	st, err := store.Open(ctx, store.Config{Driver: db.Driver, DSN: db.DSN})
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer st.Close()
	opts := Options{StorageDriver: db.Driver, StorageDSN: db.DSN}
	if r.RSSEmpty, err = startAndRead(ctx, srv, opts); err != nil {
		r.Err = err.Error()
		return r
	}
	// The write rate: plan.Store messages over as many users, as many writers as the daemon.
	el, err := fill(ctx, st, plan.Store/10, 10, "rate")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.StoreRate = float64(plan.Store/10*10) / el.Seconds()
	el, err = bulkFill(ctx, db, plan.Users, plan.PerUser, "held")
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.FillRate = float64(plan.Users*plan.PerUser) / el.Seconds()
	// One start for the full store's memory and the delivery: the delivery comes after the
	// reading and stores its messages for a user the held ones do not have.
	if err := srv.Start(ctx, opts); err != nil {
		r.Err = err.Error()
		return r
	}
	defer srv.Stop()
	u, err := settledUsage(ctx, srv)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.RSSFull = u.RSS
	r.Deliver, r.Delivered, err = timeDelivery(ctx, srv, cfg, st, plan.Deliver)
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// startAndRead starts srv, waits until its tree's RSS settles, reads it and stops it.
func startAndRead(ctx context.Context, srv *Server, o Options) (int64, error) {
	if err := srv.Start(ctx, o); err != nil {
		return 0, err
	}
	defer srv.Stop()
	u, err := settledUsage(ctx, srv)
	if err != nil {
		return 0, err
	}
	return u.RSS, nil
}

// bulkRows is the rows of one INSERT of bulkFill, bulkStatements the INSERTs of one
// transaction.
const (
	bulkRows       = 500
	bulkStatements = 20
)

// bulkFill stores what fill does (perUser messages for each of users users,
// "PREFIXi@localhost", the same stanzas) with multi-row INSERTs straight into the offline
// table (store migration 1), bulkRows a statement and bulkRows*bulkStatements a
// transaction. The held messages of the memory reading need not go in as the daemon
// pushes them: through PushOffline, a transaction per message, 500,000 took 62 s on SQLite
// and 120 s on PostgreSQL of the 2026-12-02 make bench; the write rate is fill's.
func bulkFill(ctx context.Context, odb OfflineDB, users, perUser int, prefix string) (time.Duration, error) {
	driver, dsn, ph := "sqlite", odb.DSN, func(int) string { return "?" }
	if odb.Driver == store.Postgres {
		driver, ph = "pgx", func(n int) string { return "$" + strconv.Itoa(n) }
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, fmt.Errorf("bulk fill: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	total := users * perUser
	t0 := time.Now()
	var q strings.Builder
	args := make([]any, 0, 4*bulkRows)
	for start := 0; start < total; start += bulkRows * bulkStatements {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("bulk fill: %w", err)
		}
		for i := start; i < min(start+bulkRows*bulkStatements, total); i += bulkRows {
			q.Reset()
			args = args[:0]
			q.WriteString("INSERT INTO offline (username, stamp, sender, stanza) VALUES ")
			for j := i; j < min(i+bulkRows, total); j++ {
				if j > i {
					q.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&q, "(%s, %s, %s, %s)", ph(n+1), ph(n+2), ph(n+3), ph(n+4))
				user := fmt.Sprintf("%s%d@localhost", prefix, j%users)
				args = append(args, user, time.Now().UnixMicro(), "contact@localhost/bot", offlineStanza(user, j))
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				_ = tx.Rollback()
				return 0, fmt.Errorf("bulk fill: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("bulk fill: %w", err)
		}
	}
	return time.Since(t0), nil
}

// fill stores perUser messages for each of users users ("PREFIXi@localhost") with
// storeWriters writers and returns how long it took.
func fill(ctx context.Context, st *store.DB, users, perUser int, prefix string) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, storeWriters)
	total := int64(users * perUser)
	t0 := time.Now()
	for range storeWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total || ctx.Err() != nil {
					return
				}
				user := fmt.Sprintf("%s%d@localhost", prefix, i%int64(users))
				m := store.Message{At: time.Now(), From: "contact@localhost/bot", Stanza: offlineStanza(user, int(i))}
				if err := st.PushOffline(ctx, user, m, perUser+1); err != nil {
					errs <- fmt.Errorf("storing message %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return time.Since(t0), ctx.Err()
}

// timeDelivery stores n messages for account 0, logs it in and times its initial presence
// until the last stored message arrived. (Until 07a62e7 it timed from a second presence
// sent after the login, by when the messages had arrived: it measured nothing.)
func timeDelivery(ctx context.Context, srv *Server, cfg *tls.Config, st *store.DB, n int) (time.Duration, int, error) {
	a := srv.Account(0)
	a.Addr, a.Resource = srv.Addr, "offline"
	bare := a.User + "@" + a.Domain
	for i := range n {
		m := store.Message{At: time.Now(), From: "contact@localhost/bot", Stanza: offlineStanza(bare, i)}
		if err := st.PushOffline(ctx, bare, m, n); err != nil {
			return 0, 0, fmt.Errorf("storing for %s: %w", bare, err)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	start := time.Now()
	s, ph, err := Login(lctx, a, cfg, 2) // the demo's echo and clock
	if err != nil {
		return 0, 0, err
	}
	// Login sends the initial presence with the roster get once bound: the messages
	// follow it, and the roster answer, which Login waits for, comes before them.
	t0 := start.Add(ph.Connect + ph.StartTLS + ph.TLS + ph.SASL + ph.Bind)
	defer s.Close()
	var got atomic.Int64
	all := make(chan struct{})
	s.OnMessage(func(_ *Session, el []byte) {
		if bytes.Contains(el, []byte("offline message")) && got.Add(1) == int64(n) {
			close(all)
		}
	})
	go func() { _ = s.Serve() }()
	select {
	case <-all:
		return time.Since(t0), n, nil
	case <-lctx.Done():
		return 0, int(got.Load()), fmt.Errorf("%d of %d stored messages arrived in 60 s", got.Load(), n)
	}
}
