package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HeapProfile fetches the server's heap profile (when it serves one) into its scratch
// directory and returns the top of its in-use space by function, cumulative, as
// `go tool pprof -top` prints it.
func HeapProfile(ctx context.Context, srv *Server, name string, lines int) string {
	if srv.HeapURL == "" {
		return ""
	}
	file := filepath.Join(srv.Dir, srv.Name+"-heap-"+name+".pb.gz")
	if err := fetch(ctx, srv.HeapURL+"?gc=1", file); err != nil {
		return err.Error()
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-sample_index=inuse_space",
		fmt.Sprintf("-nodecount=%d", lines), file).Output()
	if err != nil {
		return fmt.Sprintf("go tool pprof: %v", err)
	}
	// Keep the summary line and the table, drop the file and build headers.
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Type:") ||
			strings.HasPrefix(l, "Time:") {
			continue
		}
		keep = append(keep, l)
	}
	return memStats(ctx, srv) + strings.Join(keep, "\n")
}

// liveHeap forces two garbage collections in the daemon (the heap profile's gc=1) and
// returns its heap in use right after them (runtime.MemStats.HeapAlloc: live objects); 0
// when the server serves no heap profile. Two, because what a sync.Pool holds survives one
// collection in its victim cache: after the roster test's warm-up login with 10,000
// contacts, one collection left buffers of that login live, and the heap per user of the
// five logins after it came out at -187 KB.
func liveHeap(ctx context.Context, srv *Server) (int64, error) {
	if srv.HeapURL == "" {
		return 0, nil
	}
	if _, err := get(ctx, srv.HeapURL+"?gc=1"); err != nil {
		return 0, err
	}
	text, err := get(ctx, srv.HeapURL+"?gc=1&debug=1")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, "# HeapAlloc = "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("the heap profile's HeapAlloc %q: %w", v, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no HeapAlloc in %s's heap profile", srv.Name)
}

// memStats is the runtime's own account of the daemon's memory (heap in use and idle, goroutine
// stacks, total from the OS) and its goroutine count: what RSS is made of beyond the heap.
func memStats(ctx context.Context, srv *Server) string {
	var b strings.Builder
	base := strings.TrimSuffix(srv.HeapURL, "heap")
	if text, err := get(ctx, base+"goroutine?debug=1"); err == nil {
		first, _, _ := strings.Cut(text, "\n")
		b.WriteString(first + "\n")
	}
	text, err := get(ctx, srv.HeapURL+"?debug=1")
	if err != nil {
		return b.String()
	}
	for _, l := range strings.Split(text, "\n") {
		for _, k := range []string{"# Sys ", "# HeapInuse ", "# HeapIdle ", "# HeapReleased ", "# Stack = ", "# NumGC "} {
			if strings.HasPrefix(l, k) {
				b.WriteString("runtime.MemStats " + strings.TrimPrefix(l, "# ") + "\n")
			}
		}
	}
	return b.String()
}

// get is the body of a GET of url.
func get(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s %v", url, resp.Status, err)
	}
	return string(body), nil
}

func fetch(ctx context.Context, url, file string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("profile request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching %s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("creating the profile: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		return fmt.Errorf("saving the profile: %w", err)
	}
	return nil
}
