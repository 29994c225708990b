package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one step of the schema, with its text for each driver where they differ.
type migration struct {
	sqlite, postgres []string
}

// migrations are applied in order; the schema's version is the number applied. A released
// migration is never edited: a change is a new one at the end.
var migrations = []migration{
	{ // 1: offline messages (XEP-0160)
		sqlite: []string{
			`CREATE TABLE offline (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				username TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				sender TEXT NOT NULL,
				stanza BLOB NOT NULL)`,
			`CREATE INDEX offline_user ON offline (username, id)`,
			`CREATE INDEX offline_stamp ON offline (stamp)`,
		},
		postgres: []string{
			`CREATE TABLE offline (
				id BIGSERIAL PRIMARY KEY,
				username TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				sender TEXT NOT NULL,
				stanza BYTEA NOT NULL)`,
			`CREATE INDEX offline_user ON offline (username, id)`,
			`CREATE INDEX offline_stamp ON offline (stamp)`,
		},
	},
	{ // blocklists (XEP-0191)
		sqlite: []string{
			`CREATE TABLE blocklist (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				username TEXT NOT NULL,
				jid TEXT NOT NULL,
				UNIQUE (username, jid))`,
		},
		postgres: []string{
			`CREATE TABLE blocklist (
				id BIGSERIAL PRIMARY KEY,
				username TEXT NOT NULL,
				jid TEXT NOT NULL,
				UNIQUE (username, jid))`,
		},
	},
	{ // uploads (XEP-0363): slots and files of the HTTP upload service, whose bytes are on disk
		sqlite: []string{
			`CREATE TABLE uploads (
				id TEXT PRIMARY KEY,
				username TEXT NOT NULL,
				name TEXT NOT NULL,
				size BIGINT NOT NULL,
				ctype TEXT NOT NULL,
				token TEXT NOT NULL,
				state INTEGER NOT NULL,
				created BIGINT NOT NULL,
				expires BIGINT NOT NULL)`,
			`CREATE INDEX uploads_user ON uploads (username)`,
			`CREATE INDEX uploads_expires ON uploads (expires)`,
		},
		postgres: []string{
			`CREATE TABLE uploads (
				id TEXT PRIMARY KEY,
				username TEXT NOT NULL,
				name TEXT NOT NULL,
				size BIGINT NOT NULL,
				ctype TEXT NOT NULL,
				token TEXT NOT NULL,
				state INTEGER NOT NULL,
				created BIGINT NOT NULL,
				expires BIGINT NOT NULL)`,
			`CREATE INDEX uploads_user ON uploads (username)`,
			`CREATE INDEX uploads_expires ON uploads (expires)`,
		},
	},
	{ // PEP nodes and items (XEP-0163), private XML storage (XEP-0049)
		sqlite: []string{
			`CREATE TABLE pep_nodes (
				username TEXT NOT NULL,
				node TEXT NOT NULL,
				access_model TEXT NOT NULL,
				persist_items BOOLEAN NOT NULL,
				max_items INTEGER NOT NULL,
				PRIMARY KEY (username, node))`,
			`CREATE TABLE pep_items (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				username TEXT NOT NULL,
				node TEXT NOT NULL,
				item_id TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				payload BLOB NOT NULL,
				UNIQUE (username, node, item_id))`,
			`CREATE INDEX pep_items_node ON pep_items (username, node, seq)`,
			`CREATE TABLE private_xml (
				username TEXT NOT NULL,
				ns TEXT NOT NULL,
				data BLOB NOT NULL,
				PRIMARY KEY (username, ns))`,
		},
		postgres: []string{
			`CREATE TABLE pep_nodes (
				username TEXT NOT NULL,
				node TEXT NOT NULL,
				access_model TEXT NOT NULL,
				persist_items BOOLEAN NOT NULL,
				max_items INTEGER NOT NULL,
				PRIMARY KEY (username, node))`,
			`CREATE TABLE pep_items (
				seq BIGSERIAL PRIMARY KEY,
				username TEXT NOT NULL,
				node TEXT NOT NULL,
				item_id TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				payload BYTEA NOT NULL,
				UNIQUE (username, node, item_id))`,
			`CREATE INDEX pep_items_node ON pep_items (username, node, seq)`,
			`CREATE TABLE private_xml (
				username TEXT NOT NULL,
				ns TEXT NOT NULL,
				data BYTEA NOT NULL,
				PRIMARY KEY (username, ns))`,
		},
	},
	{ // the message archive (XEP-0313) and its preferences
		sqlite: []string{
			`CREATE TABLE archive (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				username TEXT NOT NULL,
				room TEXT NOT NULL,
				stanza_id TEXT NOT NULL,
				with_bare TEXT NOT NULL,
				with_full TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				origin_id TEXT NOT NULL,
				legacy_id TEXT NOT NULL,
				stanza BLOB NOT NULL)`,
			// "The last 50 of one conversation" walks archive_with backwards from its end.
			`CREATE INDEX archive_with ON archive (username, room, with_bare, id)`,
			`CREATE INDEX archive_user ON archive (username, room, id)`,
			`CREATE UNIQUE INDEX archive_sid ON archive (username, stanza_id)`,
			`CREATE INDEX archive_stamp ON archive (stamp)`,
			`CREATE TABLE archive_prefs (
				username TEXT PRIMARY KEY,
				dflt TEXT NOT NULL,
				always TEXT NOT NULL,
				never TEXT NOT NULL)`,
		},
		postgres: []string{
			`CREATE TABLE archive (
				id BIGSERIAL PRIMARY KEY,
				username TEXT NOT NULL,
				room TEXT NOT NULL,
				stanza_id TEXT NOT NULL,
				with_bare TEXT NOT NULL,
				with_full TEXT NOT NULL,
				stamp BIGINT NOT NULL,
				origin_id TEXT NOT NULL,
				legacy_id TEXT NOT NULL,
				stanza BYTEA NOT NULL)`,
			// "The last 50 of one conversation" walks archive_with backwards from its end.
			`CREATE INDEX archive_with ON archive (username, room, with_bare, id)`,
			`CREATE INDEX archive_user ON archive (username, room, id)`,
			`CREATE UNIQUE INDEX archive_sid ON archive (username, stanza_id)`,
			`CREATE INDEX archive_stamp ON archive (stamp)`,
			`CREATE TABLE archive_prefs (
				username TEXT PRIMARY KEY,
				dflt TEXT NOT NULL,
				always TEXT NOT NULL,
				never TEXT NOT NULL)`,
		},
	},
	{ // accounts: the users who logged in here, so that a message to one who is logged out is stored
		sqlite: []string{
			`CREATE TABLE accounts (
				username TEXT PRIMARY KEY,
				first_login BIGINT NOT NULL,
				last_login BIGINT NOT NULL)`,
		},
		postgres: []string{
			`CREATE TABLE accounts (
				username TEXT PRIMARY KEY,
				first_login BIGINT NOT NULL,
				last_login BIGINT NOT NULL)`,
		},
	},
	{ // the archive by legacy id (issue 24): a reaction, correction, reply or retraction from the
		// legacy network names its message by the id the network gave it
		sqlite:   []string{`CREATE INDEX archive_legacy ON archive (username, room, legacy_id)`},
		postgres: []string{`CREATE INDEX archive_legacy ON archive (username, room, legacy_id)`},
	},
	{ // the archive's cost per message (issue 21): stanza-ids derived from the row ids
		// (archiveids.go), so that the random-keyed indexes on the stanza-ids and the
		// legacy ids and the one on the time are no longer written per entry; the ids
		// stored before keep a partial index. Written to run again (a test downgrades).
		sqlite: []string{
			`DROP INDEX IF EXISTS archive_stamp`,
			`DROP INDEX IF EXISTS archive_legacy`,
			`DROP INDEX IF EXISTS archive_sid`,
			`CREATE UNIQUE INDEX archive_sid ON archive (username, stanza_id) WHERE stanza_id <> ''`,
			`CREATE TABLE IF NOT EXISTS archive_ids (next BIGINT NOT NULL, sid_key BLOB NOT NULL)`,
			`INSERT INTO archive_ids (next, sid_key) SELECT COALESCE(MAX(id), 0) + 1, X'' FROM archive
				WHERE NOT EXISTS (SELECT 1 FROM archive_ids)`,
		},
		postgres: []string{
			`DROP INDEX IF EXISTS archive_stamp`,
			`DROP INDEX IF EXISTS archive_legacy`,
			`DROP INDEX IF EXISTS archive_sid`,
			`CREATE UNIQUE INDEX archive_sid ON archive (username, stanza_id) WHERE stanza_id <> ''`,
			`CREATE TABLE IF NOT EXISTS archive_ids (next BIGINT NOT NULL, sid_key BYTEA NOT NULL)`,
			`INSERT INTO archive_ids (next, sid_key) SELECT COALESCE(MAX(id), 0) + 1, ''::bytea FROM archive
				WHERE NOT EXISTS (SELECT 1 FROM archive_ids)`,
		},
	},
	{ // the archive's cost per message (issue 21), again: one index per entry instead of two.
		// archive_with (username, room, with_bare, id) and archive_user (username, room, id)
		// put each entry in two places of the file that its user owns, so a batch of the
		// writer dirtied two index pages per active user; archive_box keeps the order of
		// archive_user and carries with_bare, so a conversation's query walks the user's
		// entries of the room (at most mam.max_messages) and tests with_bare in the index,
		// reading only the rows it returns. The writer's work per entry fell by half
		// (BenchmarkArchiveAppend). Written to run again (a test downgrades).
		sqlite: []string{
			`DROP INDEX IF EXISTS archive_with`,
			`DROP INDEX IF EXISTS archive_user`,
			`CREATE INDEX IF NOT EXISTS archive_box ON archive (username, room, id, with_bare)`,
		},
		postgres: []string{
			`DROP INDEX IF EXISTS archive_with`,
			`DROP INDEX IF EXISTS archive_user`,
			`CREATE INDEX IF NOT EXISTS archive_box ON archive (username, room, id, with_bare)`,
		},
	},
}

// migrationLock is the PostgreSQL advisory lock that keeps two hosts that start at once
// from migrating the shared database together.
const migrationLock = 0x5350_4543_5452_554d // "SPECTRUM"

// migrate brings the schema up to the newest version, in one transaction.
func (db *DB) migrate(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.driver == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
				return fmt.Errorf("store: migration lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("store: schema_version: %w", err)
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
		switch {
		case err == sql.ErrNoRows:
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return fmt.Errorf("store: schema_version: %w", err)
			}
		case err != nil:
			return fmt.Errorf("store: schema_version: %w", err)
		}
		if v > len(migrations) {
			return fmt.Errorf("store: the database has schema version %d, newer than this binary's %d: it was used by a newer spectrum2", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			stmts := migrations[i].sqlite
			if db.driver == Postgres {
				stmts = migrations[i].postgres
			}
			for _, s := range stmts {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("store: migration %d: %w", i+1, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE schema_version SET version = ?`), len(migrations)); err != nil {
			return fmt.Errorf("store: schema_version: %w", err)
		}
		return nil
	})
}

// SchemaVersion is the version of the schema this binary writes.
func SchemaVersion() int { return len(migrations) }
