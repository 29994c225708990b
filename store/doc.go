// Package store keeps the durable per-user data a user's only XMPP server must keep:
// offline messages now, and the message archive, PEP nodes, blocklists and upload metadata
// as their features land. Each kind of data is one small interface (OfflineStore, ...),
// declared here so that a feature package asks for exactly the kind it uses; *DB implements
// all of them on one SQL database.
//
// Two drivers share every query: SQLite in the data directory by default (modernc.org/sqlite,
// no cgo; WAL mode, one writer connection and a small pool of readers), and PostgreSQL
// (jackc/pgx) for several hosts that serve one domain, so that a user who moves to another
// host finds their data there. The schema is versioned in the code (migrate.go) and brought
// up to date when a database is opened.
//
// Nothing here may hold a password. Every kind of data has a bound, enforced by the caller's
// limit on each write and by an expiry sweep (Expire*), as docs/storage.md documents.
package store
