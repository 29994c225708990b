package config

import (
	"path/filepath"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// Storage is the [storage] section: the durable per-user data (store.Config).
type Storage struct {
	Driver string `toml:"driver"`
	DSN    string `toml:"dsn"`
}

// Offline is the [offline] section (XEP-0160).
type Offline struct {
	MaxMessages int           `toml:"max_messages"`
	ExpireAfter time.Duration `toml:"expire_after"`
}

// MAM is the [mam] section: the message archive (XEP-0313).
type MAM struct {
	Enabled     bool          `toml:"enabled"`
	Default     string        `toml:"default"`
	MaxPage     int           `toml:"max_page"`
	MaxMessages int           `toml:"max_messages"`
	ExpireAfter time.Duration `toml:"expire_after"`
	SweepEvery  time.Duration `toml:"sweep_every"`
}

func checkMAMDefault(v any) string {
	switch v.(string) {
	case "always", "never", "roster":
		return ""
	}
	return `want "always", "never" or "roster"`
}

// checkExpireOrZero: 0 keeps forever, anything else is at least a second.
func checkExpireOrZero(v any) string {
	if v.(time.Duration) == 0 {
		return ""
	}
	return checkMinDur(time.Second)(v)
}

// sqliteFile is the SQLite database's file in data_dir when storage.dsn is empty.
const sqliteFile = "spectrum2.db"

func checkStorageDriver(v any) string {
	switch v.(string) {
	case store.SQLite, store.Postgres:
		return ""
	}
	return `want "sqlite" or "postgres"`
}

// validateStorage: PostgreSQL has no default place.
func (d *decoder) validateStorage() {
	if d.cfg.Storage.Driver == store.Postgres && d.cfg.Storage.DSN == "" {
		d.problem(`driver "postgres" needs dsn, a connection string`, "storage", "dsn")
	}
}

// StoreConfig is what store.Open takes: the SQLite file defaults to data_dir/spectrum2.db.
func (c *Config) StoreConfig() store.Config {
	sc := store.Config{Driver: c.Storage.Driver, DSN: c.Storage.DSN}
	if sc.Driver == store.SQLite && sc.DSN == "" {
		sc.DSN = filepath.Join(c.Service.DataDir, sqliteFile)
	}
	return sc
}
