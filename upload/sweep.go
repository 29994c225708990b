package upload

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// sweepRounds bounds the store calls of one sweep tick.
const sweepRounds = 4

// Run sweeps expired slots and files every SweepEvery until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepEvery)
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep deletes what expired, rows and bytes, at most sweepRounds*SweepBatch per call;
// it returns how many uploads went.
func (s *Service) Sweep(ctx context.Context) int {
	total := 0
	for range sweepRounds {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		ups, err := s.cfg.Store.ExpireUploads(cctx, s.now(), s.cfg.SweepBatch)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error().Err(err).Msg("upload expiry sweep failed")
			}
			break
		}
		for _, up := range ups {
			for _, p := range []string{s.path(up.ID), s.part(up.ID)} {
				if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
					s.log.Error().Err(err).Str("id", up.ID).Msg("deleting an expired upload's file")
				}
			}
		}
		total += len(ups)
		if len(ups) < s.cfg.SweepBatch {
			break
		}
	}
	if total > 0 {
		s.log.Info().Int("uploads", total).Msg("expired uploads deleted")
	}
	return total
}
