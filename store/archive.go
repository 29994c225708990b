package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// ErrUnknownID is returned for a stanza-id the user's archive does not hold.
var ErrUnknownID = errors.New("store: no archive entry with this id")

// ArchiveEntry is one archived message (XEP-0313) of a user, in the user's own archive
// (Room empty) or in the user's view of a room (Room is the room's bare JID).
type ArchiveEntry struct {
	Seq      int64     // its row id: from ReserveArchiveSeqs, or 0 to have the store take one
	Room     string    // the room's bare JID; "" for the user's own archive
	StanzaID string    // the XEP-0359 stanza-id the server gave it, unique per user; "" or ArchiveStanzaID(Seq): derived
	With     string    // the other side's bare JID (in a room: the sender's occupant JID's bare, the room)
	WithFull string    // the other side's full JID as it was on the message
	At       time.Time // when it was archived (the <delay/> of a result)
	OriginID string    // the sender client's XEP-0359 origin-id, if any
	LegacyID string    // the legacy network's id of the message (from or to the backend), if any
	Stanza   []byte    // the serialised <message/>, with its stanza-id
}

// ArchiveQuery selects a user's entries. Zero fields do not restrict.
type ArchiveQuery struct {
	Room        string // "" queries the user's own archive, else that room's
	With        string // the other side's bare JID
	WithFull    string // with a resource: only entries with exactly this full JID
	Start, End  time.Time
	AfterSeq    int64    // only entries with Seq > AfterSeq
	BeforeSeq   int64    // only entries with Seq < BeforeSeq
	StanzaIDs   []string // only these entries (XEP-0313 #extended ids)
	Max         int      // page size (required, > 0)
	Last        bool     // the last Max entries of the selection rather than the first
	WithoutText bool     // leave Stanza empty (metadata)
}

// ArchivePage is one page of entries, oldest first.
type ArchivePage struct {
	Entries []ArchiveEntry
	// Complete: nothing of the selection is beyond this page in the direction of paging
	// (after the last entry, or before the first one with Last).
	Complete bool
}

// ArchiveWrite is one entry for one user, for AppendArchiveBatch.
type ArchiveWrite struct {
	User  string
	Entry ArchiveEntry
}

// ArchivePrefs are a user's XEP-0313 preferences; Default is "always", "never" or
// "roster", Always and Never are bare JIDs.
type ArchivePrefs struct {
	Default       string
	Always, Never []string
}

// ArchiveStore keeps the users' message archives (XEP-0313) and their preferences.
type ArchiveStore interface {
	// AppendArchive stores e for user. The stanza-id must be new for the user, and a
	// non-zero Seq one that ReserveArchiveSeqs gave and no entry has.
	AppendArchive(ctx context.Context, user string, e ArchiveEntry) error
	// ReserveArchiveSeqs reserves n row ids for entries about to be written, first to
	// first+n-1, above those of every entry so far (archiveids.go).
	ReserveArchiveSeqs(ctx context.Context, n int) (first int64, err error)
	// ArchiveStanzaID is the stanza-id derived from row id seq, unguessable without the
	// database's key.
	ArchiveStanzaID(seq int64) string
	// AppendArchiveBatch stores several users' entries in one transaction (a group
	// commit: one disk sync for all of them); all are stored or none.
	AppendArchiveBatch(ctx context.Context, ws []ArchiveWrite) error
	// ArchiveSeq is the Seq of the entry with stanzaID in user's archive of room (""
	// the user's own), or ErrUnknownID.
	ArchiveSeq(ctx context.Context, user, room, stanzaID string) (int64, error)
	// ArchiveByStanzaID is the entry with stanzaID in user's archive of room ("" the
	// user's own), without its Stanza, or ErrUnknownID.
	ArchiveByStanzaID(ctx context.Context, user, room, stanzaID string) (ArchiveEntry, error)
	// ArchiveByLegacyID is the newest entry whose LegacyID is legacyID in user's archive
	// of room, without its Stanza, or ErrUnknownID.
	ArchiveByLegacyID(ctx context.Context, user, room, legacyID string) (ArchiveEntry, error)
	// QueryArchive returns one page of user's entries that q selects.
	QueryArchive(ctx context.Context, user string, q ArchiveQuery) (ArchivePage, error)
	// CountArchive counts what q selects of user's entries, ignoring Max and Last: the
	// size of the result set (XEP-0059 count) when the bounds are the query's own.
	CountArchive(ctx context.Context, user string, q ArchiveQuery) (int, error)
	// CountUserArchive is the number of entries user holds, rooms included.
	CountUserArchive(ctx context.Context, user string) (int, error)
	// LastArchiveSeq is the highest Seq among user's entries (rooms included), 0 for none.
	LastArchiveSeq(ctx context.Context, user string) (int64, error)
	// ArchiveTotals is CountUserArchive and LastArchiveSeq in one read.
	ArchiveTotals(ctx context.Context, user string) (count int, last int64, err error)
	// TrimArchive deletes user's oldest entries (rooms included) so that keep remain,
	// and says how many it deleted.
	TrimArchive(ctx context.Context, user string, keep int) (int, error)
	// ExpireArchive deletes at most max entries archived before before, and says how many
	// it deleted; a sweep calls it until it deletes fewer than max.
	ExpireArchive(ctx context.Context, before time.Time, max int) (int, error)
	// PurgeArchive deletes all of user's entries (not the preferences).
	PurgeArchive(ctx context.Context, user string) (int, error)
	// ArchivePrefs returns user's preferences; ok is false if the user never set any.
	ArchivePrefs(ctx context.Context, user string) (p ArchivePrefs, ok bool, err error)
	// SetArchivePrefs replaces user's preferences.
	SetArchivePrefs(ctx context.Context, user string, p ArchivePrefs) error
}

var _ ArchiveStore = (*DB)(nil)

const insertArchive = `INSERT INTO archive
	(id, username, room, stanza_id, with_bare, with_full, stamp, origin_id, legacy_id, stanza)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// AppendArchive implements ArchiveStore.
func (db *DB) AppendArchive(ctx context.Context, user string, e ArchiveEntry) error {
	return db.AppendArchiveBatch(ctx, []ArchiveWrite{{User: user, Entry: e}})
}

// yieldEvery is how many inserts of a batch run between two yields of the processor. A
// batch is thousands of inserts, milliseconds of CPU in modernc's SQLite (Go code, which
// the scheduler preempts only after 10 ms); on a daemon with one core for its goroutines
// the routing goroutines waited that long for it, the tail of the message latency (issue
// 26). 32 inserts are some 0.3 ms; a yield costs well under a microsecond.
const yieldEvery = 32

// AppendArchiveBatch implements ArchiveStore. ctx bounds the transaction; the inserts
// run without its cancellation, since modernc's SQLite starts a goroutine per statement
// that has a cancelable context, and those cost more than the inserts of a batch.
func (db *DB) AppendArchiveBatch(ctx context.Context, ws []ArchiveWrite) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		ectx := context.WithoutCancel(ctx)
		st, err := tx.PrepareContext(ectx, db.rebind(insertArchive))
		if err != nil {
			return fmt.Errorf("store: append archive: %w", err)
		}
		defer st.Close()
		// Entries without a reserved row id get theirs in this transaction.
		var next, unseq int64
		for _, w := range ws {
			if w.Entry.Seq == 0 {
				unseq++
			}
		}
		if unseq > 0 {
			if next, err = reserveSeqs(ectx, tx, db.rebind, int(unseq)); err != nil {
				return err
			}
		}
		for i, w := range ws {
			if i%yieldEvery == yieldEvery-1 {
				runtime.Gosched()
			}
			e := w.Entry
			if e.Seq == 0 {
				e.Seq, next = next, next+1
			}
			if _, err := st.ExecContext(ectx, e.Seq, w.User, e.Room, db.sidColumn(e), e.With, e.WithFull, unixMicro(e.At), e.OriginID, e.LegacyID, e.Stanza); err != nil {
				return fmt.Errorf("store: append archive: %w", err)
			}
		}
		return nil
	})
}

// ArchiveSeq implements ArchiveStore.
func (db *DB) ArchiveSeq(ctx context.Context, user, room, stanzaID string) (int64, error) {
	e, err := db.ArchiveByStanzaID(ctx, user, room, stanzaID)
	return e.Seq, err
}

// bySID is the condition that selects the entry with stanza-id id: its row id when the
// id is derived, else the stanza_id column (the partial index archive_sid's condition
// is spelt out, or the planners would not use it).
func (db *DB) bySID(id string) (string, any) {
	if seq, ok := db.archiveSeqOf(id); ok {
		return `id = ?`, seq
	}
	return `stanza_id <> '' AND stanza_id = ?`, id
}

// archiveCols are the columns of an entry without its stanza, as scanEntry reads them.
const archiveCols = `id, room, stanza_id, with_bare, with_full, stamp, origin_id, legacy_id`

// ArchiveByStanzaID implements ArchiveStore.
func (db *DB) ArchiveByStanzaID(ctx context.Context, user, room, stanzaID string) (ArchiveEntry, error) {
	if stanzaID == "" {
		return ArchiveEntry{}, ErrUnknownID
	}
	cond, v := db.bySID(stanzaID)
	return db.archiveEntry(ctx, `SELECT `+archiveCols+` FROM archive WHERE `+cond+` AND username = ? AND room = ?`,
		v, user, room)
}

// ArchiveByLegacyID implements ArchiveStore. No index on the legacy ids (a random key
// costs a page write per entry, migration 8): the user's entries of the room are walked
// newest first (archive_box), which finds a recent message at once and bounds a miss by
// the user's quota (mam.max_messages).
func (db *DB) ArchiveByLegacyID(ctx context.Context, user, room, legacyID string) (ArchiveEntry, error) {
	if legacyID == "" {
		return ArchiveEntry{}, ErrUnknownID // entries without one are not named by it
	}
	return db.archiveEntry(ctx, `SELECT `+archiveCols+` FROM archive WHERE username = ? AND room = ? AND legacy_id = ?
		ORDER BY id DESC LIMIT 1`, user, room, legacyID)
}

func (db *DB) archiveEntry(ctx context.Context, q string, args ...any) (ArchiveEntry, error) {
	var (
		e  ArchiveEntry
		us int64
	)
	err := db.read.QueryRowContext(ctx, db.rebind(q), args...).
		Scan(&e.Seq, &e.Room, &e.StanzaID, &e.With, &e.WithFull, &us, &e.OriginID, &e.LegacyID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ArchiveEntry{}, ErrUnknownID
	case err != nil:
		return ArchiveEntry{}, fmt.Errorf("store: archive entry: %w", err)
	}
	e.At = fromMicro(us)
	e.StanzaID = db.stanzaIDOf(e.Seq, e.StanzaID)
	return e, nil
}

// archiveWhere is the WHERE clause and its arguments for q.
func (db *DB) archiveWhere(user string, q ArchiveQuery) (string, []any) {
	var b strings.Builder
	b.WriteString(`username = ? AND room = ?`)
	args := []any{user, q.Room}
	add := func(cond string, v any) {
		b.WriteString(" AND " + cond)
		args = append(args, v)
	}
	if q.With != "" {
		add("with_bare = ?", q.With)
	}
	if q.WithFull != "" {
		add("with_full = ?", q.WithFull)
	}
	if !q.Start.IsZero() {
		add("stamp >= ?", unixMicro(q.Start))
	}
	if !q.End.IsZero() {
		add("stamp <= ?", unixMicro(q.End))
	}
	if q.AfterSeq > 0 {
		add("id > ?", q.AfterSeq)
	}
	if q.BeforeSeq > 0 {
		add("id < ?", q.BeforeSeq)
	}
	if len(q.StanzaIDs) > 0 {
		// Derived ids by row id, the others (stored before migration 8) by the column.
		var seqs, cols []any
		for _, id := range q.StanzaIDs {
			if seq, ok := db.archiveSeqOf(id); ok {
				seqs = append(seqs, seq)
			} else {
				cols = append(cols, id)
			}
		}
		var alts []string
		if len(seqs) > 0 {
			alts = append(alts, "id IN (?"+strings.Repeat(", ?", len(seqs)-1)+")")
			args = append(args, seqs...)
		}
		if len(cols) > 0 {
			alts = append(alts, "(stanza_id <> '' AND stanza_id IN (?"+strings.Repeat(", ?", len(cols)-1)+"))")
			args = append(args, cols...)
		}
		b.WriteString(" AND (" + strings.Join(alts, " OR ") + ")")
	}
	return b.String(), args
}

// QueryArchive implements ArchiveStore. It reads one row past the page to tell whether
// the page is the last one. The index archive_box (username, room, id, with_bare) serves
// both directions without sorting, with_bare tested on its entries (migration 9).
func (db *DB) QueryArchive(ctx context.Context, user string, q ArchiveQuery) (ArchivePage, error) {
	if q.Max <= 0 {
		return ArchivePage{Complete: true}, nil
	}
	where, args := db.archiveWhere(user, q)
	order := "ASC"
	if q.Last {
		order = "DESC"
	}
	cols := "stanza"
	if q.WithoutText {
		cols = "''"
	}
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id, room, stanza_id, with_bare, with_full, stamp, origin_id, legacy_id, `+
		cols+` FROM archive WHERE `+where+` ORDER BY id `+order+` LIMIT ?`), append(args, q.Max+1)...)
	if err != nil {
		return ArchivePage{}, fmt.Errorf("store: query archive: %w", err)
	}
	defer rows.Close()
	var p ArchivePage
	for rows.Next() {
		var (
			e  ArchiveEntry
			us int64
		)
		if err := rows.Scan(&e.Seq, &e.Room, &e.StanzaID, &e.With, &e.WithFull, &us, &e.OriginID, &e.LegacyID, &e.Stanza); err != nil {
			return ArchivePage{}, fmt.Errorf("store: query archive: %w", err)
		}
		e.At = fromMicro(us)
		e.StanzaID = db.stanzaIDOf(e.Seq, e.StanzaID)
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return ArchivePage{}, fmt.Errorf("store: query archive: %w", err)
	}
	p.Complete = len(p.Entries) <= q.Max
	if !p.Complete {
		p.Entries = p.Entries[:q.Max]
	}
	if q.Last {
		for i, j := 0, len(p.Entries)-1; i < j; i, j = i+1, j-1 {
			p.Entries[i], p.Entries[j] = p.Entries[j], p.Entries[i]
		}
	}
	return p, nil
}

// CountArchive implements ArchiveStore.
func (db *DB) CountArchive(ctx context.Context, user string, q ArchiveQuery) (int, error) {
	where, args := db.archiveWhere(user, q)
	var n int
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM archive WHERE `+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count archive: %w", err)
	}
	return n, nil
}

// LastArchiveSeq implements ArchiveStore.
func (db *DB) LastArchiveSeq(ctx context.Context, user string) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COALESCE(MAX(id), 0) FROM archive WHERE username = ?`), user).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: last archive id: %w", err)
	}
	return n, nil
}

// ArchiveTotals implements ArchiveStore: one walk of the user's entries in archive_box.
func (db *DB) ArchiveTotals(ctx context.Context, user string) (int, int64, error) {
	var (
		n    int
		last int64
	)
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*), COALESCE(MAX(id), 0) FROM archive WHERE username = ?`), user).Scan(&n, &last); err != nil {
		return 0, 0, fmt.Errorf("store: archive totals: %w", err)
	}
	return n, last, nil
}

// CountUserArchive implements ArchiveStore.
func (db *DB) CountUserArchive(ctx context.Context, user string) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM archive WHERE username = ?`), user).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count archive: %w", err)
	}
	return n, nil
}

// TrimArchive implements ArchiveStore: everything up to the newest entry that is not
// among the keep newest goes.
func (db *DB) TrimArchive(ctx context.Context, user string, keep int) (int, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM archive WHERE username = ? AND id <= (
		SELECT id FROM archive WHERE username = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`), user, user, keep)
	if err != nil {
		return 0, fmt.Errorf("store: trim archive: %w", err)
	}
	return affected(res, "trim archive")
}

// ExpireArchive implements ArchiveStore. There is no index on the time (migration 8):
// row ids follow the time an entry was archived (reserved in blocks as messages are
// routed), so the oldest entries are the first rows; the first max rows are read and
// those before before deleted. An entry stamped out of order (by up to the writer's
// queue, or another host's clock) waits until those before it go.
func (db *DB) ExpireArchive(ctx context.Context, before time.Time, max int) (int, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM archive WHERE id IN (
		SELECT id FROM (SELECT id, stamp FROM archive ORDER BY id LIMIT ?) AS oldest WHERE stamp < ?)`),
		max, unixMicro(before))
	if err != nil {
		return 0, fmt.Errorf("store: expire archive: %w", err)
	}
	return affected(res, "expire archive")
}

// PurgeArchive implements ArchiveStore.
func (db *DB) PurgeArchive(ctx context.Context, user string) (int, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM archive WHERE username = ?`), user)
	if err != nil {
		return 0, fmt.Errorf("store: purge archive: %w", err)
	}
	return affected(res, "purge archive")
}

// ArchivePrefs implements ArchiveStore. The JID lists are kept one per line: a JID holds
// no newline.
func (db *DB) ArchivePrefs(ctx context.Context, user string) (ArchivePrefs, bool, error) {
	var p ArchivePrefs
	var always, never string
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT dflt, always, never FROM archive_prefs WHERE username = ?`), user).
		Scan(&p.Default, &always, &never)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return p, false, nil
	case err != nil:
		return p, false, fmt.Errorf("store: archive prefs: %w", err)
	}
	p.Always, p.Never = splitLines(always), splitLines(never)
	return p, true, nil
}

// SetArchivePrefs implements ArchiveStore.
func (db *DB) SetArchivePrefs(ctx context.Context, user string, p ArchivePrefs) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO archive_prefs (username, dflt, always, never) VALUES (?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET dflt = excluded.dflt, always = excluded.always, never = excluded.never`),
		user, p.Default, strings.Join(p.Always, "\n"), strings.Join(p.Never, "\n"))
	if err != nil {
		return fmt.Errorf("store: set archive prefs: %w", err)
	}
	return nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func affected(res sql.Result, what string) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	return int(n), nil
}
