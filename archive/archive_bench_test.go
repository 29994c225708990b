package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// benchUser is a feature.User of its own for the benchmark.
type benchUser struct {
	j      jid.JID
	values map[any]any
}

func (u *benchUser) JID() jid.JID                         { return u.j }
func (u *benchUser) Domain() string                       { return "localhost" }
func (u *benchUser) Resources() []feature.Resource        { return nil }
func (u *benchUser) Send(string, *xmpp.Element) bool      { return true }
func (u *benchUser) SendAll(*xmpp.Element)                {}
func (u *benchUser) Value(k any) any                      { return u.values[k] }
func (u *benchUser) SetValue(k, v any)                    { u.values[k] = v }
func (u *benchUser) InRoster(string) bool                 { return true }
func (u *benchUser) BlockLegacy(string, bool) bool        { return false }
func (u *benchUser) SetLegacyProfile(string, []byte) bool { return false }

// BenchmarkArchiveRoundTrip is the archive's work for one echo round trip of the archive
// bench, on SQLite, without the routing: the user's message (Outbound) and echo's answer
// (Inbound) stamped, serialised, queued and written by the writer, for 500 users.
// cpu-us/op is the process's CPU time per round trip, which a loaded machine distorts
// less than the wall-clock time.
func BenchmarkArchiveRoundTrip(b *testing.B) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(b.TempDir(), "a.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := New(Config{Store: db, MaxMessages: 1 << 30})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	users := make([]*benchUser, 500)
	for i := range users {
		users[i] = &benchUser{j: jid.MustParse(fmt.Sprintf("user%d%%demo@localhost", i)), values: map[any]any{}}
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for i := range b.N {
		u := users[i%len(users)]
		id := fmt.Sprintf("m%d", i)
		out := xmpp.New(xmpp.NSClient, "message", "type", "chat", "to", "echo@localhost", "id", id, "from", u.j.String()+"/bench").Append(
			xmpp.New(xmpp.NSClient, "body").AppendText("message "+id+" of the benchmark"),
			xmpp.New(xmpp.NSSID, "origin-id", "id", id))
		a.Outbound(u, u.j.String()+"/bench", out)
		in := xmpp.New(xmpp.NSClient, "message", "type", "chat", "from", "echo@localhost/bot", "to", u.j.String(), "id", "echo-"+id).Append(
			xmpp.New(xmpp.NSClient, "body").AppendText("message " + id + " of the benchmark"))
		a.Inbound(u, in, feature.Legacy)
	}
	a.flush()
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
	cancel()
	<-done
}
