package store

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Drivers that Open accepts.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// ErrFull is returned by a write that would take a user past the limit the caller gave.
var ErrFull = errors.New("store: limit reached")

// Config says which database to open.
type Config struct {
	Driver string // SQLite or Postgres
	// DSN is the SQLite file's path, or a PostgreSQL connection string
	// ("postgres://user@host:port/db?sslmode=disable" or "host=... dbname=...").
	DSN string
}

// DB is the durable store on one SQL database. It is safe for concurrent use.
type DB struct {
	driver string
	write  *sql.DB // SQLite: the one writer; PostgreSQL: the pool, also for reads
	read   *sql.DB // SQLite: readers, which WAL lets run beside the writer
	rebind func(string) string
	sid    cipher.Block // the archive's stanza-id key (archiveids.go)
}

// Open opens the database that c names and brings its schema up to date.
func Open(ctx context.Context, c Config) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch c.Driver {
	case SQLite:
		db, err = openSQLite(c.DSN)
	case Postgres:
		db, err = openPostgres(c.DSN)
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want %q or %q)", c.Driver, SQLite, Postgres)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.loadArchiveKey(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Driver names the driver in use, for status pages.
func (db *DB) Driver() string { return db.driver }

// Close closes the database.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.write.PingContext(ctx)
}

// EraseUser deletes everything stored for the user with bare JID user.
func (db *DB) EraseUser(ctx context.Context, user string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, table := range userTables {
			if _, err := tx.ExecContext(ctx, db.rebind("DELETE FROM "+table+" WHERE username = ?"), user); err != nil {
				return fmt.Errorf("store: erase %s: %w", table, err)
			}
		}
		// Uploads are not deleted here but expired at once: the upload sweep deletes
		// them with their files, which live beside the database.
		if _, err := tx.ExecContext(ctx, db.rebind("UPDATE uploads SET expires = 0 WHERE username = ?"), user); err != nil {
			return fmt.Errorf("store: erase uploads: %w", err)
		}
		return nil
	})
}

// userTables are the tables with a username column, which EraseUser clears.
var userTables = []string{"offline", "blocklist", "pep_items", "pep_nodes", "private_xml", "archive", "archive_prefs", "accounts"}

// tx runs f in a transaction on the writer and commits it when f returns nil.
func (db *DB) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// dollarParams turns the ? placeholders of a query into PostgreSQL's $1, $2, ...; the
// queries here hold no ? inside string literals.
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unixMicro is how times are kept: microseconds since the epoch, in a BIGINT, the same on
// both drivers.
func unixMicro(t time.Time) int64 { return t.UnixMicro() }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }
