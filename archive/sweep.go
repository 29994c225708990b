package archive

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// sweepRounds bounds the store calls of one sweep tick (each deletes SweepBatch at most).
const sweepRounds = 4

// Run writes the queued entries (writer.go) and sweeps expired entries every SweepEvery
// until ctx ends (with a negative ExpireAfter, keep forever, it only writes); then it
// writes what is still queued.
func (a *Archive) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); a.writeLoop(ctx) }()
	defer func() { <-done }()
	if a.cfg.ExpireAfter < 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(a.cfg.SweepEvery)
	defer t.Stop()
	for {
		a.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep deletes entries older than ExpireAfter: at most sweepRounds*SweepBatch per call,
// so that a large backlog is worked off over several ticks. It returns how many went.
func (a *Archive) Sweep(ctx context.Context) int {
	if a.cfg.ExpireAfter < 0 {
		return 0
	}
	before := a.now().Add(-a.cfg.ExpireAfter)
	total := 0
	for range sweepRounds {
		cctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
		n, err := a.cfg.Store.ExpireArchive(cctx, before, a.cfg.SweepBatch)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error().Err(err).Msg("archive expiry sweep failed")
			}
			break
		}
		total += n
		if n < a.cfg.SweepBatch {
			break
		}
	}
	if total > 0 {
		a.log.Info().Int("messages", total).Dur("expire_after", a.cfg.ExpireAfter).Msg("expired archive entries deleted")
	}
	return total
}

// Purge deletes a user's whole archive (rooms included; the preferences stay), for the
// administrators' purge_archive command. bare is the user's bare JID.
func (a *Archive) Purge(ctx context.Context, bare string) (int, error) {
	a.flush() // nothing queued comes back after the purge
	n, err := a.cfg.Store.PurgeArchive(ctx, bare)
	if err != nil {
		return 0, err
	}
	a.log.Info().Str("jid", bare).Int("messages", n).Msg("archive purged (admin command)")
	return n, nil
}

// streamHeader opens the stream a stored stanza is parsed in: it was written with
// jabber:client as the default namespace.
const streamHeader = "<stream:stream xmlns='" + xmpp.NSClient + "' xmlns:stream='" + xmpp.NSStream + "'>"

// parse reads back a stanza archive serialised.
func parse(b []byte) (*xmpp.Element, error) {
	src := io.MultiReader(strings.NewReader(streamHeader), bytes.NewReader(b))
	rd := xmpp.NewReader(src, xmpp.Limits{MaxStanzaBytes: int64(len(b)) + 1, MaxDepth: 1 << 10})
	if _, err := rd.StreamHeader(); err != nil {
		return nil, err
	}
	return rd.Next()
}
