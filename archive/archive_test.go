package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// TestSweepBounded: one sweep deletes at most sweepRounds batches of expired entries and
// leaves the recent ones; a negative ExpireAfter keeps everything.
func TestSweepBounded(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := time.Now().Add(-8 * 24 * time.Hour)
	for i := range 10 {
		at := old
		if i == 9 {
			at = time.Now()
		}
		e := store.ArchiveEntry{StanzaID: newID(), With: "x@gw", WithFull: "x@gw", At: at, Stanza: []byte("<message/>")}
		if err := db.AppendArchive(ctx, "alice@gw", e); err != nil {
			t.Fatal(err)
		}
	}
	if n := New(Config{Store: db, ExpireAfter: -1}).Sweep(ctx); n != 0 {
		t.Errorf("keep-forever sweep deleted %d", n)
	}
	a := New(Config{Store: db, SweepBatch: 2})
	if n := a.Sweep(ctx); n != 2*sweepRounds {
		t.Errorf("first sweep deleted %d, want %d", n, 2*sweepRounds)
	}
	if n := a.Sweep(ctx); n != 9-2*sweepRounds {
		t.Errorf("second sweep deleted %d, want %d", n, 9-2*sweepRounds)
	}
	if n, _ := db.CountUserArchive(ctx, "alice@gw"); n != 1 {
		t.Errorf("left %d, want the recent one", n)
	}
}

// TestStripForgedStanzaID: a stanza-id by our JID that a sender put in is removed, one by
// another entity stays.
func TestStripForgedStanzaID(t *testing.T) {
	msg := xmpp.New(xmpp.NSClient, "message").Append(
		xmpp.New(xmpp.NSSID, "stanza-id", "by", "alice@gw", "id", "forged"),
		xmpp.New(xmpp.NSSID, "stanza-id", "by", "other.example", "id", "theirs"),
		xmpp.New(xmpp.NSClient, "body").AppendText("hi"))
	strip(msg, "alice@gw")
	if got := msg.String(); got != `<message xmlns="jabber:client"><stanza-id xmlns="urn:xmpp:sid:0" by="other.example" id="theirs"/><body>hi</body></message>` {
		t.Errorf("after strip: %s", got)
	}
}

func TestParseRequest(t *testing.T) {
	a := New(Config{Store: nil, MaxPage: 100})
	q := xmpp.New(NSMAM, "query").Append(
		xmpp.New(xmpp.NSDataForms, "x", "type", "submit").Append(
			xmpp.New(xmpp.NSDataForms, "field", "var", "with").Append(xmpp.New(xmpp.NSDataForms, "value").AppendText("Bob@GW/res")),
			xmpp.New(xmpp.NSDataForms, "field", "var", "start").Append(xmpp.New(xmpp.NSDataForms, "value").AppendText("2026-01-02T03:04:05.5Z"))),
		xmpp.New(NSRSM, "set").Append(xmpp.New(NSRSM, "max").AppendText("1000"), xmpp.New(NSRSM, "before")))
	r, err := a.parseRequest(q)
	if err != nil {
		t.Fatal(err)
	}
	if r.q.With != "bob@gw" || r.q.WithFull != "bob@gw/res" || r.max != 100 || !r.last || r.rsmBefore != "" ||
		!r.q.Start.Equal(time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("parsed %+v", r)
	}
}

// TestWriterBatchesAndFlushes: queued entries are written by Run, a flush waits for them,
// and what is queued when Run ends is written too.
func TestWriterBatchesAndFlushes(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := New(Config{Store: db, Queue: 100})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	write := func(n int) {
		for range n {
			a.enqueue(store.ArchiveWrite{User: "alice@gw", Entry: store.ArchiveEntry{StanzaID: newID(), With: "x@gw", At: time.Now(), Stanza: []byte("<message/>")}})
		}
	}
	write(1000) // more than the queue: some are written by the hook itself
	a.flush()
	if n, _ := db.CountUserArchive(context.Background(), "alice@gw"); n != 1000 {
		t.Errorf("after flush: %d entries, want 1000", n)
	}
	write(50)
	cancel()
	<-done
	if n, _ := db.CountUserArchive(context.Background(), "alice@gw"); n != 1050 {
		t.Errorf("after Run ended: %d entries, want 1050", n)
	}
}

// TestPeerJID: the fast path gives what jid.Parse gives, and hands anything it does not
// know to be in normal form to jid.Parse.
func TestPeerJID(t *testing.T) {
	for _, s := range []string{"echo@localhost", "echo@localhost/bot", "Echo@LocalHost/Bot", "#lobby@localhost/Turing",
		"user1%demo@localhost/phone 2", "localhost", "a.b@c-d.e/x/y", "example.com.", "é@localhost", "@localhost", "a@",
		"a@b@c", "a@localhost/", "", "x@[::1]"} {
		bare, full, ok := peerJID(s)
		j, err := jid.Parse(s)
		if ok != (err == nil) || ok && (bare != j.Bare().String() || full != j.String()) {
			t.Errorf("peerJID(%q) = %q, %q, %v; jid.Parse: %v, %v", s, bare, full, ok, j, err)
		}
	}
}

// TestIDsInOrderAcrossHosts: two archives on one store reserve blocks of their own (two
// hosts of a cluster); a user who moves from the first to the second and back still gets
// ids above its earlier ones, so that its entries stay in order and a catch-up "after"
// the last id seen finds the newest.
func TestIDsInOrderAcrossHosts(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hostA, hostB := New(Config{Store: db}), New(Config{Store: db})
	var seqs []int64
	for i, h := range []*Archive{hostA, hostB, hostA} {
		u := &benchUser{j: jid.MustParse("alice@gw"), values: map[any]any{}} // a new session on each host
		msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "from", "bob@gw/r", "to", "alice@gw").Append(
			xmpp.New(xmpp.NSClient, "body").AppendText(fmt.Sprint("message ", i)))
		h.Inbound(u, msg, feature.Legacy)
		e := <-h.queue // what the writer would store
		if err := db.AppendArchive(context.Background(), e.w.User, e.w.Entry); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.w.Entry.Seq)
	}
	if !(seqs[0] < seqs[1] && seqs[1] < seqs[2]) {
		t.Errorf("row ids on hosts A, B, A: %v, want increasing", seqs)
	}
}

// TestGatherBounded: a batch stops at maxBatch entries however many are queued; the rest
// wait in the queue for the next transaction.
func TestGatherBounded(t *testing.T) {
	a := &Archive{queue: make(chan pending, maxBatch+10)}
	for range maxBatch + 10 {
		a.queue <- pending{}
	}
	batch := []pending{<-a.queue}
	if stop := a.gather(context.Background(), false, &batch, nil); stop {
		t.Fatal("gather reported a cancelled context")
	}
	if len(batch) != maxBatch || len(a.queue) != 10 {
		t.Errorf("batch %d (want %d), %d left queued (want 10)", len(batch), maxBatch, len(a.queue))
	}
}
