package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/store"
)

// probeStore is the real store, noting the calling thread's nice value and GOMAXPROCS
// in each batch the writer stores.
type probeStore struct {
	store.ArchiveStore
	mu          sync.Mutex
	nice, procs []int
}

func (p *probeStore) AppendArchiveBatch(ctx context.Context, ws []store.ArchiveWrite) error {
	// Linux's getpriority answers 20 - nice (Go's syscall does not convert it).
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.nice = append(p.nice, 20-prio)
	p.procs = append(p.procs, runtime.GOMAXPROCS(0))
	p.mu.Unlock()
	return p.ArchiveStore.AppendArchiveBatch(ctx, ws)
}

// TestWriterLowThread: the writer's batches run on a thread at the lowest priority, with
// GOMAXPROCS raised from 1 to 2 only while they run (SpareProc), and set back after.
func TestWriterLowThread(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &probeStore{ArchiveStore: db}
	a := New(Config{Store: st, Timeout: time.Minute, SpareProc: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	u := &benchUser{j: jid.MustParse("alice%demo@localhost"), values: map[any]any{}}
	for i := range 3 {
		msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "to", "bob@localhost", "id", fmt.Sprint("m", i)).Append(
			xmpp.New(xmpp.NSClient, "body").AppendText(fmt.Sprint("message ", i)))
		a.Outbound(u, "alice%demo@localhost/r", msg)
		a.flush() // a batch each
	}
	st.mu.Lock()
	nice, procs := st.nice, st.procs
	st.mu.Unlock()
	if len(nice) == 0 {
		t.Fatal("no batch written")
	}
	for i := range nice {
		if nice[i] != writerNice || procs[i] != 2 {
			t.Errorf("batch %d: nice %d, GOMAXPROCS %d; want %d and 2", i, nice[i], procs[i], writerNice)
		}
	}
	// The last batch's barrier is released inside the call, just before GOMAXPROCS is
	// set back: wait for it.
	for deadline := time.Now().Add(10 * time.Second); runtime.GOMAXPROCS(0) != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS %d after the batches, want 1", runtime.GOMAXPROCS(0))
		}
	}
	prio, _ := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if 20-prio == writerNice {
		t.Error("the test's own thread got the writer's priority")
	}
}
