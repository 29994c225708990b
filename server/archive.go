package server

import (
	"context"
	"os"
	"runtime"
	"slices"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/archive"
	"github.com/gospectrum/spectrum2/offline"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/server/config"
	"github.com/gospectrum/spectrum2/store"
)

// openArchive builds the message archive on db ([mam]); nil when mam.enabled is false.
func openArchive(cfg *config.Config, db store.ArchiveStore, log zerolog.Logger) *archive.Archive {
	if !cfg.MAM.Enabled {
		return nil
	}
	expire := cfg.MAM.ExpireAfter
	if expire == 0 {
		expire = -1 // mam.expire_after = 0 keeps entries (archive.Config: negative)
	}
	return archive.New(archive.Config{
		Store:       db,
		Default:     cfg.MAM.Default,
		MaxPage:     cfg.MAM.MaxPage,
		MaxMessages: cfg.MAM.MaxMessages,
		ExpireAfter: expire,
		SweepEvery:  cfg.MAM.SweepEvery,
		// A daemon on one core (GOMAXPROCS 1, unless the operator set it) gives the
		// writer's low-priority thread a second P for its calls only.
		SpareProc: os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) == 1,
		Log:       log,
	})
}

// withArchive puts the archive into the features right before the offline store: after
// blocking (a blocked sender's message is not archived), before offline, so that a
// stored message carries its stanza-id when it is delivered at the next login.
func withArchive(fs []feature.Feature, arc *archive.Archive) []feature.Feature {
	if arc == nil {
		return fs
	}
	i := slices.IndexFunc(fs, func(f feature.Feature) bool { _, ok := f.(*offline.Offline); return ok })
	if i < 0 {
		i = len(fs)
	}
	return slices.Insert(fs, i, feature.Feature(arc))
}

// purgeArchive is the purge_archive command's store call; nil with the archive off.
func (st *storage) purgeArchive() func(context.Context, string) (int, error) {
	if st.archive == nil {
		return nil
	}
	return st.archive.Purge
}
