package upload

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// counts is a Counter that remembers.
type counts struct {
	mu      sync.Mutex
	bytes   int64
	files   int
	refused map[string]int
}

func (c *counts) UploadStored(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bytes += n
	c.files++
}

func (c *counts) UploadRefused(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused[reason]++
}

func (c *counts) refusedFor(reason string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused[reason]
}

// newService is a service on a fresh SQLite store with a clock the test moves.
func newService(t *testing.T, cfg Config) (*Service, *counts, *time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &counts{refused: make(map[string]int)}
	cfg.Store, cfg.Dir, cfg.PublicURL, cfg.Counter = db, filepath.Join(t.TempDir(), "up"), "https://upload.example.org", c
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return now }
	return s, c, &now
}

func putReq(up store.Upload, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPut, "/upload/"+up.ID+"/"+up.Name, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+up.Token)
	r.Header.Set("Content-Type", up.Type)
	return r
}

func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Stat(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// TestSweepDeletesExpired: a stored file past ExpireAfter goes with its row and bytes, an
// unused slot past SlotTTL goes, a PUT left half-written goes with its part file; a
// fresh file stays.
func TestSweepDeletesExpired(t *testing.T) {
	s, c, now := newService(t, Config{SlotTTL: time.Minute, ExpireAfter: time.Hour, PutTimeout: 10 * time.Minute})
	ctx := context.Background()
	old, err := s.create("a@example.org", "old.bin", "application/octet-stream", 5, s.cfg.SlotTTL)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, putReq(old, []byte("hello")))
	if w.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	if !exists(t, s.path(old.ID)) {
		t.Fatal("the stored file is not on disk")
	}
	unused, _ := s.create("a@example.org", "unused.bin", "application/octet-stream", 7, s.cfg.SlotTTL)
	half, _ := s.create("b@example.org", "half.bin", "application/octet-stream", 9, s.cfg.SlotTTL)
	if err := s.startPut(half.ID); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.part(half.ID), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	*now = now.Add(2 * time.Minute) // past the unused slot's SlotTTL only
	if n := s.Sweep(ctx); n != 1 {
		t.Errorf("sweep after 2 min deleted %d, want 1 (the unused slot)", n)
	}
	if _, err := s.cfg.Store.Upload(ctx, unused.ID); !errors.Is(err, store.ErrNoUpload) {
		t.Errorf("the unused slot is still there: %v", err)
	}
	if got, _ := s.cfg.Store.UploadUsage(ctx, "a@example.org"); got != 5 {
		t.Errorf("a's usage after the sweep: %d, want 5", got)
	}

	*now = now.Add(10 * time.Minute) // past the half PUT's PutTimeout
	if n := s.Sweep(ctx); n != 1 || exists(t, s.part(half.ID)) {
		t.Errorf("sweep after the PUT timeout: %d deleted, part file left: %v", n, exists(t, s.part(half.ID)))
	}
	fresh, _ := s.create("a@example.org", "fresh.bin", "application/octet-stream", 3, s.cfg.SlotTTL)
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, putReq(fresh, []byte("new")))
	if w.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}

	*now = now.Add(50 * time.Minute) // past old's hour, not fresh's
	if n := s.Sweep(ctx); n != 1 {
		t.Errorf("sweep after the hour deleted %d, want 1", n)
	}
	if _, err := s.cfg.Store.Upload(ctx, old.ID); !errors.Is(err, store.ErrNoUpload) || exists(t, s.path(old.ID)) {
		t.Errorf("the expired file: row %v, bytes left %v", err, exists(t, s.path(old.ID)))
	}
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/upload/"+old.ID+"/old.bin", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET of the expired file: %d", w.Code)
	}
	if up, err := s.cfg.Store.Upload(ctx, fresh.ID); err != nil || up.State != store.FileStored || !exists(t, s.path(fresh.ID)) {
		t.Errorf("the fresh file went: %v", err)
	}
	if c.files != 2 || c.bytes != 8 {
		t.Errorf("counted %d files, %d bytes; want 2, 8", c.files, c.bytes)
	}
}

// TestSweepBatches: more expired uploads than one batch go in the rounds of one sweep.
func TestSweepBatches(t *testing.T) {
	s, _, now := newService(t, Config{SweepBatch: 3, SlotTTL: time.Minute})
	for range 10 {
		if _, err := s.create("a@example.org", "x", "text/plain", 1, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	*now = now.Add(time.Hour)
	if n := s.Sweep(context.Background()); n != 10 {
		t.Errorf("one sweep deleted %d, want 10 (4 rounds of 3)", n)
	}
}

// TestQuotaBound: slots and files count against the quota; a slot that makes it exactly
// full is granted, one byte more is not, and the sweep makes room again.
func TestQuotaBound(t *testing.T) {
	s, _, now := newService(t, Config{Quota: 100, MaxFileSize: 100, SlotTTL: time.Minute})
	if _, err := s.create("a@example.org", "a", "text/plain", 60, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.create("a@example.org", "b", "text/plain", 41, time.Minute); !errors.Is(err, store.ErrFull) {
		t.Errorf("60+41 of 100: %v, want ErrFull", err)
	}
	if _, err := s.create("b@example.org", "b", "text/plain", 100, time.Minute); err != nil {
		t.Errorf("another user's quota is separate: %v", err)
	}
	if _, err := s.create("a@example.org", "c", "text/plain", 40, time.Minute); err != nil {
		t.Errorf("60+40 of 100: %v, want granted", err)
	}
	if _, err := s.create("a@example.org", "d", "text/plain", 0, time.Minute); err != nil {
		t.Errorf("an empty file at a full quota: %v, want granted", err)
	}
	if _, err := s.create("a@example.org", "e", "text/plain", 1, time.Minute); !errors.Is(err, store.ErrFull) {
		t.Errorf("one byte past a full quota: %v, want ErrFull", err)
	}
	*now = now.Add(2 * time.Minute)
	s.Sweep(context.Background())
	if _, err := s.create("a@example.org", "f", "text/plain", 100, time.Minute); err != nil {
		t.Errorf("after the sweep: %v, want granted", err)
	}
}

// TestPutBounds: a user's PUTs past UserPuts and all PUTs past MaxPuts get 503 and keep
// their slots, which take a PUT once others ended.
func TestPutBounds(t *testing.T) {
	s, c, _ := newService(t, Config{UserPuts: 1, MaxPuts: 2})
	slot := func(user string) store.Upload {
		up, err := s.create(user, "f", "application/octet-stream", 4, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return up
	}
	if !s.puts.acquire("a@example.org") { // a's PUT under way
		t.Fatal("first PUT refused")
	}
	a2 := slot("a@example.org")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, putReq(a2, []byte("data")))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("a's second PUT at once: %d %q, want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if !s.puts.acquire("b@example.org") { // b's: the total is reached
		t.Fatal("b's PUT refused")
	}
	c1 := slot("c@example.org")
	w = httptest.NewRecorder()
	s.Handler().ServeHTTP(w, putReq(c1, []byte("data")))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("c's PUT past the total: %d, want 503", w.Code)
	}
	if c.refusedFor("busy") != 2 {
		t.Errorf("busy refusals counted: %d, want 2", c.refusedFor("busy"))
	}
	s.puts.release("a@example.org")
	s.puts.release("b@example.org")
	for _, up := range []store.Upload{a2, c1} {
		w = httptest.NewRecorder()
		s.Handler().ServeHTTP(w, putReq(up, []byte("data")))
		if w.Code != http.StatusCreated {
			t.Errorf("PUT to a kept slot: %d %s", w.Code, w.Body)
		}
	}
	if len(s.puts.users) != 0 || s.puts.total != 0 {
		t.Errorf("PUTs under way after all ended: %d, %v", s.puts.total, s.puts.users)
	}
}

// TestRefusalReasons: each refusal of a PUT counts under its reason.
func TestRefusalReasons(t *testing.T) {
	s, c, _ := newService(t, Config{})
	up, err := s.create("a@example.org", "f", "image/png", 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for reason, mod := range map[string]func(*http.Request){
		"token": func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") },
		"type":  func(r *http.Request) { r.Header.Set("Content-Type", "text/html") },
	} {
		r := putReq(up, []byte("data"))
		mod(r)
		s.Handler().ServeHTTP(httptest.NewRecorder(), r)
		if c.refusedFor(reason) != 1 {
			t.Errorf("%s: counted %d", reason, c.refusedFor(reason))
		}
	}
	s.Handler().ServeHTTP(httptest.NewRecorder(), putReq(up, []byte("longer")))
	if c.refusedFor("size") != 1 {
		t.Errorf("size: counted %d", c.refusedFor("size"))
	}
	for reason := range c.refused {
		if !contains(Reasons, reason) {
			t.Errorf("reason %q is not in Reasons", reason)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
