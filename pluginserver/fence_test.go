package pluginserver

import (
	"testing"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func convFrame(text string) protocol.Frame {
	return protocol.MustEncode(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{Message: &text})
}

// texts lists the messages of sent frames.
func texts(t *testing.T, fs []sentFrame) []string {
	t.Helper()
	var out []string
	for _, sf := range fs {
		m, err := protocol.Decode(sf.f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.(*pb.ConversationMessage).GetMessage())
	}
	return out
}

func TestFenceCoalescesAndConfirms(t *testing.T) {
	var fc fence
	if ping, _ := fc.add("u", convFrame("a")); !ping {
		t.Fatal("first frame: no fence PING asked")
	}
	fc.pingSent() // covers a
	for _, s := range []string{"b", "c"} {
		if ping, _ := fc.add("u", convFrame(s)); ping {
			t.Fatalf("%s: a second fence PING while one is outstanding", s)
		}
	}
	if !fc.pong() {
		t.Fatal("b and c unconfirmed after the first PONG, but no next fence asked")
	}
	if got := texts(t, fc.pending); len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("pending after the first PONG = %v, want [b c]", got)
	}
	fc.pingSent() // covers b, c
	if fc.pong() {
		t.Error("a fence asked with nothing pending")
	}
	if fc.pending != nil || fc.pings != nil {
		t.Errorf("not empty when idle: %d pending, %d pings", len(fc.pending), len(fc.pings))
	}
}

func TestFenceKeepalivePingsCount(t *testing.T) {
	var fc fence
	fc.pingSent() // a keepalive PING with nothing pending
	if ping, _ := fc.add("u", convFrame("a")); ping {
		t.Error("fence asked while the keepalive PING is outstanding")
	}
	// The keepalive's PONG does not cover a (written after it was queued)...
	if !fc.pong() {
		t.Fatal("no fence asked for a")
	}
	if fc.unconfirmed() != 1 {
		t.Fatalf("a confirmed by an earlier PING")
	}
	fc.pingSent()
	fc.pingSent() // ...a later keepalive PING as well
	fc.pong()
	if fc.unconfirmed() != 0 {
		t.Error("a not confirmed by its fence")
	}
	fc.pong()
	fc.pong() // an unmatched PONG is ignored
	if fc.pings != nil {
		t.Errorf("pings = %v", fc.pings)
	}
}

func TestFenceTakeAndBounds(t *testing.T) {
	var fc fence
	fc.add("u", convFrame("a"))
	fc.pingSent()
	fc.add("v", convFrame("b"))
	if got := texts(t, fc.take()); len(got) != 2 {
		t.Fatalf("take = %v", got)
	}
	if fc.unconfirmed() != 0 || fc.pings != nil {
		t.Error("take left state behind")
	}

	var big fence
	reported := 0
	for range maxUnconfirmed + 5 {
		if _, dropped := big.add("u", convFrame("x")); dropped {
			reported++
		}
	}
	if big.unconfirmed() != maxUnconfirmed || reported != 1 {
		t.Errorf("kept %d (want %d), overflow reported %d times (want 1)", big.unconfirmed(), maxUnconfirmed, reported)
	}

	var deaf fence
	deaf.add("u", convFrame("x"))
	off := false
	for range maxOutstandingPings + 1 {
		off = deaf.pingSent() || off
	}
	if !off || !deaf.off || deaf.unconfirmed() != 0 {
		t.Error("fencing not switched off for a backend that never answers PING")
	}
	if ping, _ := deaf.add("u", convFrame("y")); ping || deaf.unconfirmed() != 0 {
		t.Error("a switched-off fence still keeps frames")
	}
}
