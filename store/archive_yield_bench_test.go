package store

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkArchiveBatchWait is how long a goroutine that wants the processor waits while
// the archive writer's batch runs, with one processor for all goroutines (GOMAXPROCS 1,
// as the daemon pinned to one core has): a ticker goroutine sleeps 100 µs at a time and
// max-wait-µs is its worst lateness during batches of 4,096 entries, %late>1ms the share
// of its wake-ups that came more than 1 ms late.
func BenchmarkArchiveBatchWait(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	db, err := Open(context.Background(), Config{Driver: SQLite, DSN: filepath.Join(b.TempDir(), "a.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ws := make([]ArchiveWrite, 4096)
	var worst atomic.Int64
	var late1ms, ticks atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			time.Sleep(100 * time.Microsecond)
			late := time.Since(t0) - 100*time.Microsecond
			if late > time.Duration(worst.Load()) {
				worst.Store(int64(late))
			}
			ticks.Add(1)
			if late > time.Millisecond {
				late1ms.Add(1)
			}
		}
	}()
	n := 0
	for b.Loop() {
		for i := range ws {
			n++
			user := fmt.Sprintf("user%d@localhost", n%500)
			ws[i] = ArchiveWrite{User: user, Entry: ArchiveEntry{With: "echo@localhost", WithFull: "echo@localhost/bot", At: time.Now(),
				Stanza: fmt.Appendf(nil, `<message xmlns="jabber:client" type="chat" to="echo@localhost" id="m%d" from="%s/bench"><body>message %d of the benchmark</body></message>`, n, user, n)}}
		}
		if err := db.AppendArchiveBatch(context.Background(), ws); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
	b.ReportMetric(float64(worst.Load())/1e3, "max-wait-µs")
	b.ReportMetric(100*float64(late1ms.Load())/float64(max(ticks.Load(), 1)), "%late>1ms")
}
