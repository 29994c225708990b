package testsrv

import (
	"strings"
	"testing"
)

// TestInspIRCd: the started server is InspIRCd with the IRCv3 message tags: a message from
// one tag-capable peer reaches the other with a msgid and its client-only tag, a TAGMSG
// with a +draft/react tag too, and a peer without the capability gets the text alone.
func TestInspIRCd(t *testing.T) {
	s := StartInspIRCd(t)
	a := ConnectIRCv3Peer(t, s, "alice", "message-tags", "server-time")
	b := ConnectIRCv3Peer(t, s, "bob", "message-tags")
	plain := ConnectIRCPeer(t, s, "carol")

	a.Send("@+draft/reply=xyz PRIVMSG bob :hello")
	got := b.Expect("PRIVMSG bob :hello")
	if !strings.HasPrefix(got, "@") || !strings.Contains(got, "msgid=") || !strings.Contains(got, "+draft/reply=xyz") {
		t.Errorf("bob got %q, want tags msgid and +draft/reply", got)
	}
	a.Send("@+draft/react=👍;+draft/reply=xyz TAGMSG bob")
	if got := b.Expect(" TAGMSG "); !strings.Contains(got, "+draft/react=👍") {
		t.Errorf("bob got %q, want +draft/react", got)
	}
	a.Send("@+draft/reply=xyz PRIVMSG carol :hi")
	if got := plain.Expect("PRIVMSG carol :hi"); strings.HasPrefix(got, "@") {
		t.Errorf("carol (no message-tags) got tags: %q", got)
	}
}
