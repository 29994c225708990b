package backendtest

import (
	"testing"

	"github.com/rs/zerolog"
)

// Logger returns a debug-level logger that writes into the test's log, so a failing test
// shows what the backend did and a passing one stays quiet.
func Logger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: testWriter{t}, NoColor: true}).Level(zerolog.DebugLevel)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
