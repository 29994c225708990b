package accept

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/rs/zerolog"
)

// The back-off between failed accepts, as in net/http.Server.
const (
	minDelay = 5 * time.Millisecond
	maxDelay = time.Second
)

// Loop accepts connections on l and hands each to serve, on Loop's goroutine (serve must
// not block), until l is closed or ctx ends. what names the listener in the log.
func Loop(ctx context.Context, l net.Listener, log zerolog.Logger, what string, serve func(net.Conn)) {
	var delay time.Duration // 0: no failure episode in progress
	failures := 0
	var since time.Time
	for {
		c, err := l.Accept()
		if err == nil {
			if delay > 0 {
				log.Info().Str("listener", what).Int("failures", failures).Dur("after", time.Since(since)).Msg("accepting connections again")
				delay, failures = 0, 0
			}
			serve(c)
			continue
		}
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return
		}
		failures++
		if delay == 0 {
			since = time.Now()
			log.Error().Err(err).Str("listener", what).Msg("accepting connections failed; retrying with back-off")
			delay = minDelay
		} else {
			delay = min(2*delay, maxDelay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
