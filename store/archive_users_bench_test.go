package store

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkArchiveAppendUsers is BenchmarkArchiveAppend's batches spread over more users,
// in a store that already holds prefill entries of them: the writer's cost per entry as
// the number of active users grows.
func BenchmarkArchiveAppendUsers(b *testing.B) {
	for _, users := range []int{500, 19000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			db, err := Open(context.Background(), Config{Driver: SQLite, DSN: filepath.Join(b.TempDir(), "a.db")})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			const batch = 2048
			n := 0
			write := func(count int) {
				ws := make([]ArchiveWrite, 0, batch)
				for range count {
					user := fmt.Sprintf("user%d@localhost", n%users)
					st := fmt.Appendf(nil, `<message xmlns="jabber:client" type="chat" to="echo@localhost" id="m%d" from="%s/bench"><body>message %d of the benchmark</body></message>`, n, user, n)
					ws = append(ws, ArchiveWrite{User: user, Entry: ArchiveEntry{With: "echo@localhost", WithFull: "echo@localhost/bot",
						At: time.Now(), OriginID: "o", Stanza: st}})
					n++
					if len(ws) == batch {
						if err := db.AppendArchiveBatch(context.Background(), ws); err != nil {
							b.Fatal(err)
						}
						ws = ws[:0]
					}
				}
				if len(ws) > 0 {
					if err := db.AppendArchiveBatch(context.Background(), ws); err != nil {
						b.Fatal(err)
					}
				}
			}
			write(400_000)
			b.ResetTimer()
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			write(b.N)
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkArchiveQuerySparse is the worst query of archive_box (migration 9): the last
// 50 with a contact whose entries are spread thinly over a full archive (mam.max_messages,
// 10,000, of 200 contacts), so the index walk tests some 10,000 entries' with_bare to
// return 50; rare is a contact with 5 entries, all among the oldest, which the walk
// reaches only at the archive's start.
func BenchmarkArchiveQuerySparse(b *testing.B) {
	db, err := Open(context.Background(), Config{Driver: SQLite, DSN: filepath.Join(b.TempDir(), "a.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const user, n, contacts = "user@localhost", 10000, 200
	ws := make([]ArchiveWrite, 0, n)
	for i := range n {
		with := fmt.Sprintf("contact%d@localhost", i%contacts)
		if i < 5 {
			with = "rare@localhost"
		}
		ws = append(ws, ArchiveWrite{User: user, Entry: ArchiveEntry{With: with, WithFull: with + "/r", At: time.Now(),
			Stanza: fmt.Appendf(nil, `<message xmlns="jabber:client" type="chat" to="%s"><body>message %d</body></message>`, with, i)}})
	}
	if err := db.AppendArchiveBatch(context.Background(), ws); err != nil {
		b.Fatal(err)
	}
	for _, with := range []string{"contact7@localhost", "rare@localhost"} {
		b.Run(with, func(b *testing.B) {
			for b.Loop() {
				p, err := db.QueryArchive(context.Background(), user, ArchiveQuery{With: with, Max: 50, Last: true})
				if err != nil || len(p.Entries) == 0 {
					b.Fatal(len(p.Entries), err)
				}
			}
		})
	}
}
