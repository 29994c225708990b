package test

import (
	"strings"
	"testing"
	"time"
)

// logLines counts the daemon's log lines that contain every one of parts.
func (s *Server) logLines(parts ...string) int {
	n := 0
	for _, line := range strings.Split(s.Log(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// waitLogLines waits until the daemon has logged at least n lines that contain every one
// of parts: the event a test waits for when no client sees it (a resource closed, a
// hibernated session timed out, a re-login).
func (s *Server) waitLogLines(t testing.TB, n int, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for s.logLines(parts...) < n {
		select {
		case <-s.done:
			t.Fatalf("spectrum2 exited while the test waited for %d log lines with %q", n, parts)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d log lines with %q within 60 s:\n%s", n, parts, tail(s.Log(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
