package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func slot(id, user string, size int64, now time.Time) Upload {
	return Upload{ID: id, User: user, Name: id + ".png", Size: size, Type: "image/png", Token: "t-" + id,
		State: SlotOpen, Created: now, Expires: now.Add(5 * time.Minute)}
}

// TestUploadLife: a slot is put once, becomes a file, and reads back as it was written.
func TestUploadLife(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		s := slot("a1", "alice@gw", 100, now)
		if err := db.CreateUpload(ctx, s, 1000); err != nil {
			t.Fatal(err)
		}
		got, err := db.Upload(ctx, "a1")
		if err != nil || got != s {
			t.Fatalf("read back %+v (%v), want %+v", got, err, s)
		}
		if err := db.StartPut(ctx, "a1", now.Add(6*time.Minute), now.Add(time.Hour)); !errors.Is(err, ErrNoUpload) {
			t.Errorf("PUT on an expired slot: %v, want ErrNoUpload", err)
		}
		if err := db.StartPut(ctx, "a1", now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.StartPut(ctx, "a1", now, now.Add(time.Hour)); !errors.Is(err, ErrNoUpload) {
			t.Errorf("second PUT: %v, want ErrNoUpload", err)
		}
		exp := now.Add(7 * 24 * time.Hour)
		if err := db.FinishPut(ctx, "a1", 99, exp); err != nil {
			t.Fatal(err)
		}
		got, _ = db.Upload(ctx, "a1")
		if got.State != FileStored || got.Size != 99 || !got.Expires.Equal(exp) {
			t.Errorf("after the PUT: %+v", got)
		}
		if _, err := db.Upload(ctx, "nope"); !errors.Is(err, ErrNoUpload) {
			t.Errorf("unknown id: %v", err)
		}
		if err := db.DeleteUpload(ctx, "a1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Upload(ctx, "a1"); !errors.Is(err, ErrNoUpload) {
			t.Errorf("after delete: %v", err)
		}
	})
}

// TestUploadQuota: slots and files count against the quota, per user, also for writers
// on two handles at once.
func TestUploadQuota(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		other := reopen()
		now := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		full := 0
		for i := range 20 {
			wg.Add(1)
			go func(h *DB) {
				defer wg.Done()
				err := h.CreateUpload(ctx, slot(fmt.Sprint("s", i), "alice@gw", 100, now), 1000)
				if errors.Is(err, ErrFull) {
					mu.Lock()
					full++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}([]*DB{db, other}[i%2])
		}
		wg.Wait()
		if n, _ := db.UploadUsage(ctx, "alice@gw"); n != 1000 || full != 10 {
			t.Errorf("alice holds %d bytes, %d refused; want 1000 and 10", n, full)
		}
		if err := db.CreateUpload(ctx, slot("b", "bob@gw", 1000, now), 1000); err != nil {
			t.Errorf("bob's quota is his own: %v", err)
		}
	})
}

// TestUploadExpire: the sweep returns and deletes what expired, at most max per call.
func TestUploadExpire(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		now := time.Now()
		for i := range 5 {
			if err := db.CreateUpload(ctx, slot(fmt.Sprint("old", i), "alice@gw", 1, now.Add(-time.Hour)), 100); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateUpload(ctx, slot("new", "alice@gw", 1, now), 100); err != nil {
			t.Fatal(err)
		}
		got, err := db.ExpireUploads(ctx, now, 3)
		if err != nil || len(got) != 3 || got[0].User != "alice@gw" {
			t.Fatalf("first sweep: %d (%v), want 3", len(got), err)
		}
		got, err = db.ExpireUploads(ctx, now, 3)
		if err != nil || len(got) != 2 {
			t.Fatalf("second sweep: %d (%v), want 2", len(got), err)
		}
		if n, _ := db.UploadUsage(ctx, "alice@gw"); n != 1 {
			t.Errorf("left %d bytes, want the new slot's 1", n)
		}
	})
}

// TestUploadErase: erasing a user expires their uploads at once, so that the next sweep
// deletes them with their files.
func TestUploadErase(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		now := time.Now()
		for _, u := range []string{"alice@gw", "bob@gw"} {
			if err := db.CreateUpload(ctx, slot(u, u, 1, now), 100); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		got, err := db.ExpireUploads(ctx, now, 10)
		if err != nil || len(got) != 1 || got[0].ID != "alice@gw" {
			t.Errorf("after erasing alice the sweep took %+v (%v), want alice's upload", got, err)
		}
	})
}
