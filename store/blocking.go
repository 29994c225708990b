package store

import (
	"context"
	"database/sql"
	"fmt"
)

// BlockStore keeps each user's blocklist (XEP-0191): the JIDs the user blocked, bare or
// full or a domain, as the client wrote them.
type BlockStore interface {
	// Blocklist returns the user's blocked JIDs in the order they were first blocked.
	Blocklist(ctx context.Context, user string) ([]string, error)
	// Block adds jids to the user's blocklist; one already there stays where it is. If the
	// list would then hold more than limit JIDs nothing is added (ErrFull).
	Block(ctx context.Context, user string, jids []string, limit int) error
	// Unblock removes jids from the user's blocklist; an empty jids removes every one.
	Unblock(ctx context.Context, user string, jids []string) error
}

var _ BlockStore = (*DB)(nil)

// Blocklist implements BlockStore.
func (db *DB) Blocklist(ctx context.Context, user string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT jid FROM blocklist WHERE username = ? ORDER BY id`), user)
	if err != nil {
		return nil, fmt.Errorf("store: blocklist: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var j string
		if err := rows.Scan(&j); err != nil {
			return nil, fmt.Errorf("store: blocklist: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: blocklist: %w", err)
	}
	return out, nil
}

// Block implements BlockStore. The inserts and the count are one transaction on the one
// writer (SQLite) or under a per-user advisory lock (PostgreSQL), as PushOffline's.
func (db *DB) Block(ctx context.Context, user string, jids []string, limit int) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.driver == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "blocklist:"+user); err != nil {
				return fmt.Errorf("store: blocklist lock: %w", err)
			}
		}
		ins := db.rebind(`INSERT INTO blocklist (username, jid) VALUES (?, ?) ON CONFLICT (username, jid) DO NOTHING`)
		for _, j := range jids {
			if _, err := tx.ExecContext(ctx, ins, user, j); err != nil {
				return fmt.Errorf("store: block: %w", err)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM blocklist WHERE username = ?`), user).Scan(&n); err != nil {
			return fmt.Errorf("store: count blocklist: %w", err)
		}
		if n > limit {
			return ErrFull // rolls the inserts back
		}
		return nil
	})
}

// Unblock implements BlockStore.
func (db *DB) Unblock(ctx context.Context, user string, jids []string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if len(jids) == 0 {
			if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM blocklist WHERE username = ?`), user); err != nil {
				return fmt.Errorf("store: unblock all: %w", err)
			}
			return nil
		}
		del := db.rebind(`DELETE FROM blocklist WHERE username = ? AND jid = ?`)
		for _, j := range jids {
			if _, err := tx.ExecContext(ctx, del, user, j); err != nil {
				return fmt.Errorf("store: unblock: %w", err)
			}
		}
		return nil
	})
}
