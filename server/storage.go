package server

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/archive"
	"github.com/gospectrum/spectrum2/blocking"
	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/offline"
	"github.com/gospectrum/spectrum2/pep"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/server/config"
	"github.com/gospectrum/spectrum2/store"
)

// storage is the durable store and the server features built on it.
type storage struct {
	db       *store.DB
	offline  *offline.Offline
	archive  *archive.Archive  // nil with mam.enabled false
	features []feature.Feature // for router.Config.Features, in the order they are asked
}

// openStorage opens [storage] and builds the features on it. The DSN is never logged: a
// PostgreSQL one may hold a password.
func openStorage(ctx context.Context, cfg *config.Config, m *metrics.Metrics, log zerolog.Logger) (*storage, error) {
	db, err := store.Open(ctx, cfg.StoreConfig())
	if err != nil {
		return nil, fmt.Errorf("storage (%s): %w", cfg.Storage.Driver, err)
	}
	off := offline.New(offline.Config{
		Store:       db,
		Accounts:    db, // a message to a logged-out user of this server is stored
		Domain:      cfg.Service.JID,
		MaxMessages: cfg.Offline.MaxMessages,
		ExpireAfter: cfg.Offline.ExpireAfter,
		LoginBytes:  cfg.Limits.SessionSendBytes / 2, // the rest of the budget for the roster and live traffic
		Counter:     m,
		Log:         log,
	})
	// Blocking comes first: a blocked sender's message is neither stored nor delivered.
	blk := blocking.New(blocking.Config{Store: db, Log: log})
	ps := pep.New(pep.Config{Store: db, MaxNodes: cfg.PEP.MaxNodes, MaxItemBytes: cfg.PEP.MaxItemBytes,
		MaxItems: cfg.PEP.MaxItems, MaxPrivate: cfg.PEP.MaxPrivate, Log: log})
	arc := openArchive(cfg, db, log)
	log.Info().Str("driver", db.Driver()).Int("schema", store.SchemaVersion()).Msg("storage opened")
	return &storage{db: db, offline: off, archive: arc, features: withArchive([]feature.Feature{blk, off, ps}, arc)}, nil
}
