package router

import (
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
)

// absentCounter counts the messages offered to the Absent hook and handles none.
type absentCounter struct{ n atomic.Int32 }

func (*absentCounter) Name() string { return "absent-counter" }

func (a *absentCounter) MessageAbsent(jid.JID, *xmpp.Element) (bool, error) {
	a.n.Add(1)
	return false, nil
}

// TestKnownLegacyNotOfferedAsAbsent: a message to a name of an open conversation is the
// legacy network's at once; only the first message to a new name asks whether it is a
// logged-out user of this server (a store query per message otherwise).
func TestKnownLegacyNotOfferedAsAbsent(t *testing.T) {
	ac := &absentCounter{}
	e := newEnv(t, func(c *Config) { c.Features = []feature.Feature{ac} })
	_, h := e.connect("alice@localhost", "pw", "desk")
	for i := range 3 {
		send(t, h, `<message to='stranger@localhost' type='chat'><body>hi `+itoa(i)+`</body></message>`)
		e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
			return m.(*pb.ConversationMessage).GetMessage() == "hi "+itoa(i)
		})
	}
	if n := ac.n.Load(); n != 1 {
		t.Errorf("offered to the Absent hook %d times, want once (the first message)", n)
	}
}
