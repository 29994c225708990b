package router

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// fuzzUsers are the users a fuzzed frame may name: two logged in, one unknown, none.
var fuzzUsers = []string{"bob@localhost", "alice@localhost", "nobody@localhost", ""}

// appendFuzzFrame encodes one frame of FuzzBackendFrames' input: type, user (index into
// fuzzUsers; +4: handed back as undelivered), payload length, payload.
func appendFuzzFrame(b []byte, t pb.WrapperMessage_Type, user int, m proto.Message) []byte {
	p, _ := proto.Marshal(m)
	return append(append(b, byte(t), byte(user), byte(len(p))), p...)
}

// FuzzBackendFrames hands arbitrary decoded frames for arbitrary users to the router, as
// a backend could send them, while users with resources are logged in: no panic (a
// contained one counts as a failure too), no stuck actor, and everything the resources
// get reads back as XML.
func FuzzBackendFrames(f *testing.F) {
	bob, alice := 0, 1
	str := proto.String
	seeds := [][]byte{
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_BUDDY_CHANGED, bob, &pb.Buddy{UserName: str("bob@localhost"),
			BuddyName: str("Alice@Wonder.land"), Alias: str("A"), Group: []string{"G"}, Status: pb.StatusType_STATUS_AWAY.Enum()}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_CONV_MESSAGE, bob, &pb.ConversationMessage{UserName: str("bob@localhost"),
			BuddyName: str("alice"), Message: str("hi <b>"), Xhtml: str("<body><p>hi</p></body>"), Timestamp: str("20240101T120000")}),
		appendFuzzFrame(appendFuzzFrame(nil, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, bob, &pb.Participant{UserName: str("bob@localhost"),
			Room: str("#room"), Nickname: str("carol"), Flag: proto.Int32(1)}),
			pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, bob, &pb.ConversationMessage{UserName: str("bob@localhost"), BuddyName: str("#room"), Message: str("topic")}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_DISCONNECTED, alice, &pb.Disconnected{User: str("alice@localhost"), Error: proto.Int32(16), Message: str("gone")}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_VCARD, bob, &pb.VCard{UserName: str("bob@localhost"), BuddyName: str("alice"), Id: proto.Int32(1), Nickname: str("A")}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_ROOM_LIST, 3, &pb.RoomList{Room: []string{"#a", "#b"}, Name: []string{"A"}}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_CONV_MESSAGE, bob+4, &pb.ConversationMessage{UserName: str("bob@localhost"), BuddyName: str("alice"), Message: str("lost")}),
		appendFuzzFrame(nil, pb.WrapperMessage_TYPE_BUDDIES, alice, &pb.Buddies{Buddy: []*pb.Buddy{{UserName: str("alice@localhost"), BuddyName: str("x")}}}),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := &panicOps{}
		e := newEnv(t, func(c *Config) { c.Ops.Ops = ops })
		b1, hb := e.connect("bob@localhost", secret, "a")
		b2, _ := e.connect("bob@localhost", secret, "b")
		a1, ha := e.connect("alice@localhost", secret, "x")
		send(t, hb, `<presence/>`)
		send(t, hb, `<iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
		send(t, ha, `<presence><priority>-1</priority></presence>`)
		for len(data) >= 3 {
			typ, who, n := pb.WrapperMessage_Type(data[0]), int(data[1]), int(data[2])
			data = data[3:]
			n = min(n, len(data))
			payload := data[:n]
			data = data[n:]
			m := protocol.NewPayload(typ)
			if m == nil || proto.Unmarshal(payload, m) != nil {
				continue
			}
			user := fuzzUsers[who%len(fuzzUsers)]
			if who&4 != 0 {
				e.r.HandleUndelivered(user, typ, m)
			} else {
				e.r.HandleBackendMessage(user, typ, m)
			}
		}
		for _, u := range fuzzUsers[:2] {
			settle(t, e.r, u)
		}
		if ops.panics.Load() != 0 {
			t.Fatalf("the router panicked:\n%s", e.log.String())
		}
		for _, tr := range []*testResource{b1, b2, a1} {
			for _, el := range tr.all() {
				if _, err := parseElement(el.String()); err != nil {
					t.Fatalf("sent %s, which does not read back: %v", el, err)
				}
			}
		}
	})
}
