package irc

import (
	"strconv"
	"testing"

	"github.com/lrstanley/girc"
	"github.com/rs/zerolog"
)

// TestBounded: past its bound the oldest key goes; updating a key keeps its place.
func TestBounded(t *testing.T) {
	b := newBounded[int](3)
	for i := range 3 {
		b.put(strconv.Itoa(i), i)
	}
	b.put("0", 10) // an update, not a new key
	b.put("3", 3)
	if _, ok := b.get("0"); ok {
		t.Error("oldest key kept past the bound")
	}
	if v, ok := b.get("3"); !ok || v != 3 || b.len() != 3 {
		t.Errorf("get(3) = %v %v, len %d", v, ok, b.len())
	}
}

// TestReactionSetBound: one sender's set for one message holds at most maxReactions;
// more are not added, a duplicate is not added twice.
func TestReactionSetBound(t *testing.T) {
	var set []string
	for i := range maxReactions + 5 {
		set = addReaction(set, strconv.Itoa(i))
	}
	set = addReaction(set, "0")
	if len(set) != maxReactions {
		t.Errorf("set has %d reactions, want %d", len(set), maxReactions)
	}
	if set = removeReaction(set, "0"); len(set) != maxReactions-1 || contains(set, "0") {
		t.Errorf("after remove: %v", set)
	}
}

// TestPendingEchoBound: the messages waiting for their echo are bounded; the oldest goes.
func TestPendingEchoBound(t *testing.T) {
	n := &network{tagState: newTagState()}
	for i := range maxPendingEcho + 1 {
		n.notePending("bob", "line", strconv.Itoa(i))
	}
	if len(n.tagState.pending) != maxPendingEcho || n.tagState.pending[0].id != "1" {
		t.Errorf("pending: %d, first %q", len(n.tagState.pending), n.tagState.pending[0].id)
	}
}

// TestSendQueueBound: past outQueue events waiting for the socket, a new one is dropped
// (and logged); the queue keeps the oldest, in order.
func TestSendQueueBound(t *testing.T) {
	n := &network{s: &session{p: &Plugin{log: zerolog.Nop()}}} // not up: nothing drains the queue
	for i := range outQueue + 1 {
		n.queue(&girc.Event{Command: "PRIVMSG", Params: []string{"#c", strconv.Itoa(i)}})
	}
	if len(n.out) != outQueue || n.out[0].Params[1] != "0" || n.out[outQueue-1].Params[1] != strconv.Itoa(outQueue-1) {
		t.Errorf("queue: %d events", len(n.out))
	}
}
