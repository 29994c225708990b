package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// sqliteReaders is the size of SQLite's reader pool: WAL lets readers run beside the one
// writer, and a few are enough for one host's queries.
const sqliteReaders = 4

// openSQLite opens the SQLite file at path (created, with its directory, mode 0700/0600).
func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("store: sqlite needs a file path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// Create the file with a private mode before SQLite does it with the umask's.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	f.Close()
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	// One writer: SQLite serialises writes anyway, and a second writer would only wait on
	// busy_timeout. _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads before it writes cannot fail to upgrade its lock.
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(16384)")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	r.SetMaxOpenConns(sqliteReaders)
	if err := w.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{driver: SQLite, write: w, read: r, rebind: func(q string) string { return q }}, nil
}

// postgresConns bounds the connections one daemon opens to a shared PostgreSQL.
const postgresConns = 8

// openPostgres connects to the PostgreSQL that dsn names.
func openPostgres(dsn string) (*DB, error) {
	if dsn == "" {
		return nil, fmt.Errorf("store: postgres needs a dsn")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(postgresConns)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{driver: Postgres, write: db, read: db, rebind: dollarParams}, nil
}
