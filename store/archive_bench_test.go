package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkArchiveAppend is the writer's work per archived message on SQLite: batches
// of 1,024 entries of 500 users chatting with one contact, as the archive bench's echo
// round trips write them (a sent and a received entry each), with row ids reserved
// and stanza-ids derived from them as the archive does. cpu-ns/op is the process's CPU
// time per entry, which a loaded machine distorts less than the wall-clock time.
func BenchmarkArchiveAppend(b *testing.B) {
	db, err := Open(context.Background(), Config{Driver: SQLite, DSN: filepath.Join(b.TempDir(), "a.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rid := func() string {
		var r [12]byte
		_, _ = rand.Read(r[:])
		return base64.RawURLEncoding.EncodeToString(r[:])
	}
	const batch = 1024
	var seq int64
	ws := make([]ArchiveWrite, 0, batch)
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	defer func() {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}()
	for i := range b.N {
		user := fmt.Sprintf("user%d@localhost", i%500)
		if i%batch == 0 {
			if seq, err = db.ReserveArchiveSeqs(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
		sid, oid := db.ArchiveStanzaID(seq), rid()
		st := fmt.Appendf(nil, `<message xmlns="jabber:client" type="chat" to="echo@localhost" id="%s" from="%s/bench">`+
			`<body>message %d of the benchmark</body><origin-id xmlns="urn:xmpp:sid:0" id="%s"/><stanza-id xmlns="urn:xmpp:sid:0" by="%s" id="%s"/></message>`,
			oid, user, i, oid, user, sid)
		ws = append(ws, ArchiveWrite{User: user, Entry: ArchiveEntry{Seq: seq, StanzaID: sid, With: "echo@localhost", WithFull: "echo@localhost/bot",
			At: time.Now(), OriginID: oid, LegacyID: oid, Stanza: st}})
		if len(ws) == batch || i == b.N-1 {
			if err := db.AppendArchiveBatch(context.Background(), ws); err != nil {
				b.Fatal(err)
			}
			ws = ws[:0]
		}
		seq++
	}
}
