package server

import (
	"context"
	"errors"
	"io"
)

// cmdRun is the daemon: `spectrum2 run --config FILE`. INTEGRATION SKELETON, wired last.
func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	return errors.New("run: not wired yet")
}
