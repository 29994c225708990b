package router

import (
	"errors"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// framesAtResult is a resource that notes, when a stanza with id arrives, how many frames
// of type ft the backend had received by then.
type framesAtResult struct {
	*testResource
	be *fakeBackends
	mu sync.Mutex
	at map[string]int // result id -> frames then
	ft map[string]pb.WrapperMessage_Type
}

func (f *framesAtResult) Send(el *xmpp.Element) error {
	f.mu.Lock()
	if ft, ok := f.ft[el.ID()]; ok && el.Type() == "result" {
		f.at[el.ID()] = f.be.count(ft)
	}
	f.mu.Unlock()
	return f.testResource.Send(el)
}

// A roster set is answered once its frame was handed to the backend.
func TestRosterSetAnsweredAfterTheFrame(t *testing.T) {
	e := newEnv(t, nil)
	g, err := e.auth("bob@localhost", secret)
	if err != nil {
		t.Fatal(err)
	}
	res := &framesAtResult{testResource: &testResource{full: jid.MustParse("bob@localhost/a")}, be: e.be,
		at: map[string]int{}, ft: map[string]pb.WrapperMessage_Type{
			"s1": pb.WrapperMessage_TYPE_BUDDY_CHANGED, "s2": pb.WrapperMessage_TYPE_BUDDY_REMOVED}}
	h, err := g.bind(res)
	if err != nil {
		t.Fatal(err)
	}
	send(t, h, `<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='dan@localhost' name='Dan'/></query></iq>`)
	res.wait(t, "set result", isRosterResult("s1"))
	send(t, h, `<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='dan@localhost' subscription='remove'/></query></iq>`)
	res.wait(t, "remove result", isRosterResult("s2"))
	res.mu.Lock()
	defer res.mu.Unlock()
	if res.at["s1"] != 1 || res.at["s2"] != 1 {
		t.Errorf("frames when the results went out: BUDDY_CHANGED %d, BUDDY_REMOVED %d; want 1 each", res.at["s1"], res.at["s2"])
	}
}

// A roster set whose frame no backend takes is answered with internal-server-error (wait)
// and changes nothing: no push, the roster as before.
func TestRosterSetFailsWhenTheBackendIsGone(t *testing.T) {
	e := newEnv(t, nil)
	tr, h := e.connect("bob@localhost", secret, "a")
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_BUDDY_CHANGED, buddyFrame("alice", "Alice", pb.StatusType_STATUS_ONLINE, ""))
	send(t, h, `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	tr.wait(t, "roster", isRosterResult("r1"))
	e.be.set(func(f *fakeBackends) { f.sendErr = errors.New("backend restarting") })

	isError := func(id string) func(*xmpp.Element) bool {
		return func(el *xmpp.Element) bool {
			return el.ID() == id && el.Type() == "error" &&
				el.Child(xmpp.NSClient, "error").Attr("type") == xmpp.ErrTypeWait &&
				el.Child(xmpp.NSClient, "error").Child(xmpp.NSStanzas, xmpp.StanzaInternalServerError) != nil
		}
	}
	send(t, h, `<iq type='set' id='add'><query xmlns='jabber:iq:roster'><item jid='dan@localhost' name='Dan'/></query></iq>`)
	tr.wait(t, "error for the new item", isError("add"))
	send(t, h, `<iq type='set' id='ren'><query xmlns='jabber:iq:roster'><item jid='alice@localhost' name='Renamed'/></query></iq>`)
	tr.wait(t, "error for the rename", isError("ren"))
	send(t, h, `<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='alice@localhost' subscription='remove'/></query></iq>`)
	tr.wait(t, "error for the removal", isError("rm"))

	e.be.set(func(f *fakeBackends) { f.sendErr = nil })
	send(t, h, `<iq type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>`)
	got := tr.wait(t, "roster again", isRosterResult("r2"))
	items := got.Child(xmpp.NSRoster, "query").Children()
	if len(items) != 1 || items[0].Attr("jid") != "alice@localhost" || items[0].Attr("name") != "Alice" {
		t.Errorf("roster changed by failed sets: %s", got)
	}
	if tr.has(func(el *xmpp.Element) bool { return el.Local == "iq" && el.Type() == "set" }) {
		t.Error("a failed set was pushed")
	}
}
