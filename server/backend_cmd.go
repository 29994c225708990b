package server

import (
	"context"
	"errors"
)

// cmdBackend runs a native backend. SKELETON: replaced by the backend SDK work.
func cmdBackend(ctx context.Context, args []string) error {
	return errors.New("backend: not implemented yet")
}
