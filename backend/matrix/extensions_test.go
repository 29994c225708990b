package matrix

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

// The user's sent ids are bounded: past the bound the oldest is forgotten both ways.
func TestSentIDsBounded(t *testing.T) {
	m := newSentIDs(maxSentIDs)
	for i := range maxSentIDs + 3 {
		m.put(fmt.Sprint("x", i), id.EventID(fmt.Sprint("$", i)))
	}
	if len(m.order) != maxSentIDs || len(m.ev) != maxSentIDs || len(m.xid) != maxSentIDs {
		t.Fatalf("%d/%d/%d remembered, want the bound %d", len(m.order), len(m.ev), len(m.xid), maxSentIDs)
	}
	if _, ok := m.event("x0"); ok {
		t.Error("the oldest id outlived the bound")
	}
	if _, ok := m.xmpp("$2"); ok {
		t.Error("the oldest event outlived the bound")
	}
	if e, ok := m.event("x3"); !ok || e != "$3" {
		t.Errorf("x3 -> %q %v", e, ok)
	}
	m.put("x3", "$new") // the same id again replaces its event, no growth
	if x, ok := m.xmpp("$new"); !ok || x != "x3" || len(m.order) != maxSentIDs {
		t.Errorf("re-put: %q %v, %d", x, ok, len(m.order))
	}
	if _, ok := m.xmpp("$3"); ok {
		t.Error("the replaced event still maps")
	}
}

// Reaction sets are bounded in targets (the oldest goes, with its events) and in keys per
// target (maxReactions).
func TestReactionSetsBounded(t *testing.T) {
	r := newReactionSets(maxReactionTargets)
	for i := range maxReactionTargets + 2 {
		if !r.add(id.EventID(fmt.Sprint("$t", i)), "👍", id.EventID(fmt.Sprint("$r", i))) {
			t.Fatal("refused below the bound")
		}
	}
	if len(r.sets) != maxReactionTargets || len(r.byEvent) != maxReactionTargets || len(r.order) != maxReactionTargets {
		t.Fatalf("%d/%d/%d remembered, want the bound %d", len(r.sets), len(r.byEvent), len(r.order), maxReactionTargets)
	}
	if _, ok := r.removeEvent("$r0"); ok {
		t.Error("the oldest target's reaction outlived the bound")
	}
	for i := range maxReactions - 1 { // $t5 has 👍 already
		if !r.add("$t5", fmt.Sprint("k", i), id.EventID(fmt.Sprint("$k", i))) {
			t.Fatalf("key %d refused below the bound", i)
		}
	}
	if r.add("$t5", "one too many", "$x") || len(r.keys("$t5")) != maxReactions {
		t.Errorf("past %d keys: %d kept", maxReactions, len(r.keys("$t5")))
	}
	if target, ok := r.removeEvent("$r5"); !ok || target != "$t5" || slices.Contains(r.keys("$t5"), "👍") {
		t.Errorf("redacting the reaction: %q %v %v", target, ok, r.keys("$t5"))
	}
	r.remove("$t5", "k0")
	if _, ok := r.get("$t5")["k0"]; ok {
		t.Error("a removed key stays")
	}
}

func TestReplyFallbackEnd(t *testing.T) {
	for _, c := range []struct {
		body string
		want int
	}{
		{"> <@bob:x> hé\n> more\n\nyes", len([]rune("> <@bob:x> hé\n> more\n\n"))},
		{"no fallback", 0},
		{"> quote only", 0},
		{"> a\nnot quoted\n\nrest", 0},
	} {
		if got := replyFallbackEnd(c.body); got != c.want {
			t.Errorf("replyFallbackEnd(%q) = %d, want %d", c.body, got, c.want)
		}
	}
}

// The user's correction is an edit of the remembered event; a reply loses its XEP-0428
// quote and names the event replied to.
func TestWithRelations(t *testing.T) {
	s := &session{sent: newSentIDs(4), log: zerolog.Nop()}
	s.sent.put("x1", "$e1")
	c := s.withRelations(backend.Message{Body: "fixed", ReplaceID: "x1"}, content(backend.Message{Body: "fixed", XHTML: "<em>fixed</em>"}))
	if c.RelatesTo.GetReplaceID() != "$e1" || c.Body != "* fixed" || c.NewContent == nil || c.NewContent.Body != "fixed" ||
		c.NewContent.RelatesTo != nil || c.FormattedBody != "* <em>fixed</em>" {
		t.Errorf("edit: %+v", c)
	}
	c = s.withRelations(backend.Message{Body: "fixed", ReplaceID: "unknown"}, content(backend.Message{Body: "fixed"}))
	if c.RelatesTo != nil || c.Body != "fixed" {
		t.Errorf("a correction of an unknown message: %+v", c)
	}
	quote := "> hé\n"
	m := backend.Message{Body: quote + "yes", ReplyToID: "$bob1", ReplyFallbackEnd: len([]rune(quote))}
	c = s.withRelations(m, content(backend.Message{Body: m.Body, XHTML: "<blockquote>hé</blockquote>yes"}))
	if c.RelatesTo.GetReplyTo() != "$bob1" || c.Body != "yes" || c.Format != "" {
		t.Errorf("reply: %+v", c)
	}
	c = s.withRelations(backend.Message{Body: "mine", ReplyToID: "x1"}, content(backend.Message{Body: "mine"}))
	if c.RelatesTo.GetReplyTo() != "$e1" || c.Body != "mine" || c.MsgType != event.MsgText {
		t.Errorf("reply to the user's own message: %+v", c)
	}
}
