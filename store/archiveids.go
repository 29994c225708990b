package store

import (
	"context"
	"crypto/aes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// The archive's stanza-ids (XEP-0359) are derived from the entries' row ids, so that no
// index on them is written per message (a random key dirties a page of its index per
// entry: a quarter of the insert's cost): an id is the row id encrypted with AES under a
// key the database keeps (table archive_ids), one 16-byte block of the row id and eight
// zero bytes, URL-safe base64 (22 characters). Without the key an id is unguessable and
// says nothing of the order or number of entries; with it, it decodes to its row, and
// the zero half tells ours from any other id. Entries stored before (migration 8) keep
// their random stanza-id in the stanza_id column, under a partial index; derived ones
// leave the column empty.
//
// Row ids are handed out in blocks (ReserveArchiveSeqs) before the entries are written:
// the archive stamps a message when it routes it and the writer stores it later.

// stanzaIDChars is the length of a derived stanza-id.
const stanzaIDChars = 22

// loadArchiveKey reads the stanza-id key, making it the first time (two hosts that start
// at once on one PostgreSQL agree: only the first update finds the key empty).
func (db *DB) loadArchiveKey(ctx context.Context) error {
	var k [16]byte
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails (Go 1.24)
	if _, err := db.write.ExecContext(ctx, db.rebind(`UPDATE archive_ids SET sid_key = ? WHERE length(sid_key) = 0`), k[:]); err != nil {
		return fmt.Errorf("store: archive key: %w", err)
	}
	var key []byte
	if err := db.write.QueryRowContext(ctx, `SELECT sid_key FROM archive_ids`).Scan(&key); err != nil {
		return fmt.Errorf("store: archive key: %w", err)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("store: archive key: %w", err)
	}
	db.sid = b
	return nil
}

// ArchiveStanzaID implements ArchiveStore.
func (db *DB) ArchiveStanzaID(seq int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seq))
	db.sid.Encrypt(b[:], b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// archiveSeqOf decodes a derived stanza-id; false for any other string.
func (db *DB) archiveSeqOf(id string) (int64, bool) {
	if len(id) != stanzaIDChars {
		return 0, false
	}
	var b [16]byte
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(id)); err != nil || n != 16 {
		return 0, false
	}
	db.sid.Decrypt(b[:], b[:])
	if binary.BigEndian.Uint64(b[8:]) != 0 {
		return 0, false
	}
	seq := int64(binary.BigEndian.Uint64(b[:8]))
	return seq, seq > 0
}

// ReserveArchiveSeqs implements ArchiveStore.
func (db *DB) ReserveArchiveSeqs(ctx context.Context, n int) (int64, error) {
	return reserveSeqs(ctx, db.write, db.rebind, n)
}

// queryRower is a *sql.DB or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func reserveSeqs(ctx context.Context, q queryRower, rebind func(string) string, n int) (int64, error) {
	if n <= 0 {
		return 0, errors.New("store: reserve archive ids: n must be positive")
	}
	var next int64
	if err := q.QueryRowContext(ctx, rebind(`UPDATE archive_ids SET next = next + ? RETURNING next`), n).Scan(&next); err != nil {
		return 0, fmt.Errorf("store: reserve archive ids: %w", err)
	}
	return next - int64(n), nil
}

// sidColumn is what the stanza_id column holds for e: empty for an id derived from its
// row id.
func (db *DB) sidColumn(e ArchiveEntry) string {
	if e.StanzaID == "" {
		return ""
	}
	if seq, ok := db.archiveSeqOf(e.StanzaID); ok && seq == e.Seq {
		return ""
	}
	return e.StanzaID
}

// stanzaIDOf is an entry's stanza-id from its row: the column's, else derived.
func (db *DB) stanzaIDOf(seq int64, column string) string {
	if column != "" {
		return column
	}
	return db.ArchiveStanzaID(seq)
}
