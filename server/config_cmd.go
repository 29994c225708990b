package server

import (
	"errors"
	"io"
)

// cmdConfig is `spectrum2 config check|import`. SKELETON: replaced by the configuration work.
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	return errors.New("config: not implemented yet")
}
