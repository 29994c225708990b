package router

import (
	"strings"
	"testing"
)

// The log line for a closed session's unacknowledged stanzas says what was dropped and
// what became of the messages with a body, without their content.
func TestUnackedLogSaysWhatWasDropped(t *testing.T) {
	for _, c := range []struct {
		name, want string
		other      bool // another resource is online
	}{
		{"redelivered", "dropped 1 presence, 1 chat state or receipt; 2 messages with a body redelivered to another resource", true},
		{"kept", "dropped 1 presence, 1 chat state or receipt; 2 messages with a body kept for the next login", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if c.other {
				_, hd := e.connect("alice@localhost", "pw", "desk")
				send(t, hd, `<presence/>`)
			}
			_, hp := e.connect("alice@localhost", "pw", "phone")
			hp.Closed(append(unacked(t, "alice@localhost/phone"),
				stanza(t, `<presence from='echo@localhost/bot' to='alice@localhost/phone'/>`)))
			settle(t, e.r, "alice@localhost")
			eventually(t, "the log line", func() bool { return strings.Contains(e.log.String(), c.want) })
			if strings.Contains(e.log.String(), "xyzzy") {
				t.Error("message content logged")
			}
		})
	}
}

func TestSMTallyString(t *testing.T) {
	var tl smTally
	for _, x := range []string{`<presence/>`, `<presence/>`, `<message type='groupchat'><body>x</body></message>`} {
		tl.drop(stanza(t, x))
	}
	if got, want := tl.String(), "the closed session's unacknowledged stanzas: dropped 2 presences, 1 other stanza (room message, error or IQ result); no message with a body was lost"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
