package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Message is one stored stanza for a user, as the router serialised it.
type Message struct {
	ID     int64     // assigned by the store, increasing in arrival order per database
	At     time.Time // when it arrived (XEP-0203 delay stamp on delivery)
	From   string    // the sender's JID, for logs and erasure by sender
	Stanza []byte    // the serialised <message/>
}

// OfflineStore keeps messages for users who have no available resource (XEP-0160).
type OfflineStore interface {
	// PushOffline stores m for user, unless the user already holds limit messages
	// (ErrFull). It sets nothing in m; the ID is the store's.
	PushOffline(ctx context.Context, user string, m Message, limit int) error
	// Offline returns up to max of the user's oldest messages, in arrival order.
	Offline(ctx context.Context, user string, max int) ([]Message, error)
	// DeleteOffline deletes the user's messages with an ID up to and including through,
	// once they were delivered.
	DeleteOffline(ctx context.Context, user string, through int64) error
	// CountOffline is the number of messages the user holds.
	CountOffline(ctx context.Context, user string) (int, error)
	// ExpireOffline deletes at most max messages that arrived before before, and says how
	// many it deleted; a sweep calls it until it deletes fewer than max.
	ExpireOffline(ctx context.Context, before time.Time, max int) (int, error)
}

var _ OfflineStore = (*DB)(nil)

// PushOffline implements OfflineStore. The count and the insert are one transaction on the
// one writer (SQLite) or under a per-user advisory lock (PostgreSQL), so that two hosts
// cannot both take the last place.
func (db *DB) PushOffline(ctx context.Context, user string, m Message, limit int) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.driver == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "offline:"+user); err != nil {
				return fmt.Errorf("store: offline lock: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM offline WHERE username = ?`), user).Scan(&n); err != nil {
			return fmt.Errorf("store: count offline: %w", err)
		}
		if n >= limit {
			return ErrFull
		}
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO offline (username, stamp, sender, stanza) VALUES (?, ?, ?, ?)`),
			user, unixMicro(m.At), m.From, m.Stanza)
		if err != nil {
			return fmt.Errorf("store: push offline: %w", err)
		}
		return nil
	})
}

// Offline implements OfflineStore.
func (db *DB) Offline(ctx context.Context, user string, max int) ([]Message, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id, stamp, sender, stanza FROM offline WHERE username = ? ORDER BY id LIMIT ?`), user, max)
	if err != nil {
		return nil, fmt.Errorf("store: offline: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var (
			m  Message
			us int64
		)
		if err := rows.Scan(&m.ID, &us, &m.From, &m.Stanza); err != nil {
			return nil, fmt.Errorf("store: offline: %w", err)
		}
		m.At = fromMicro(us)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: offline: %w", err)
	}
	return out, nil
}

// DeleteOffline implements OfflineStore.
func (db *DB) DeleteOffline(ctx context.Context, user string, through int64) error {
	if _, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM offline WHERE username = ? AND id <= ?`), user, through); err != nil {
		return fmt.Errorf("store: delete offline: %w", err)
	}
	return nil
}

// CountOffline implements OfflineStore.
func (db *DB) CountOffline(ctx context.Context, user string) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM offline WHERE username = ?`), user).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count offline: %w", err)
	}
	return n, nil
}

// ExpireOffline implements OfflineStore.
func (db *DB) ExpireOffline(ctx context.Context, before time.Time, max int) (int, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM offline WHERE id IN (SELECT id FROM offline WHERE stamp < ? ORDER BY id LIMIT ?)`), unixMicro(before), max)
	if err != nil {
		return 0, fmt.Errorf("store: expire offline: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: expire offline: %w", err)
	}
	return int(n), nil
}
