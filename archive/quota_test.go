package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/store"
)

// slowTrimStore holds every trim until release is closed.
type slowTrimStore struct {
	store.ArchiveStore
	release chan struct{}
	trims   atomic.Int32
}

func (s *slowTrimStore) TrimArchive(ctx context.Context, user string, keep int) (int, error) {
	s.trims.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return s.ArchiveStore.TrimArchive(ctx, user, keep)
}

// TestQuotaTrimByWriter: past MaxMessages the writer trims the user's archive to 95 % of
// it, after the entries queued before; the hooks go on while the trim waits (it used to
// flush and trim on the user's actor), and the newest entries are the ones kept.
func TestQuotaTrimByWriter(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "q.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &slowTrimStore{ArchiveStore: db, release: make(chan struct{})}
	a := New(Config{Store: st, MaxMessages: 40, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	u := &benchUser{j: jid.MustParse("alice%demo@localhost"), values: map[any]any{}}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 50 {
			msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "to", "bob@localhost", "id", fmt.Sprint("m", i)).Append(
				xmpp.New(xmpp.NSClient, "body").AppendText(fmt.Sprint("message ", i)))
			a.Outbound(u, "alice%demo@localhost/r", msg)
		}
	}()
	select {
	case <-sent:
	case <-time.After(time.Minute):
		t.Fatal("the hooks waited for the trim")
	}
	for deadline := time.Now().Add(time.Minute); st.trims.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no trim past the quota")
		}
	}
	close(st.release)
	a.flush()
	n, err := db.CountUserArchive(context.Background(), "alice%demo@localhost")
	if err != nil {
		t.Fatal(err)
	}
	// The 41st message passes the quota: a trim to 38; then every third (44, 47, 50).
	if n != 38 {
		t.Errorf("%d entries after 50 messages with a quota of 40, want 38", n)
	}
	p, err := db.QueryArchive(context.Background(), "alice%demo@localhost", store.ArchiveQuery{Max: 1})
	if err != nil || len(p.Entries) != 1 {
		t.Fatal(p, err)
	}
	if want := "message 12<"; !strings.Contains(string(p.Entries[0].Stanza), want) {
		t.Errorf("the oldest entry kept is %s, want the 13th message", p.Entries[0].Stanza)
	}
	if got := st.trims.Load(); got != 4 {
		t.Errorf("%d trims, want 4", got)
	}
}
