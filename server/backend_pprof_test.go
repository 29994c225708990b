package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestBackendPprof: SPECTRUM2_BACKEND_PPROF's address must be a loopback one; on one, the
// profiler answers until the context ends.
func TestBackendPprof(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6060", "localhost", "[::]:0"} {
		if err := serveBackendPprof(ctx, addr, zerolog.Nop()); err == nil {
			t.Errorf("%s accepted", addr)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := serveBackendPprof(ctx, addr, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("profiler index: %s %.100q", resp.Status, body)
	}
}
