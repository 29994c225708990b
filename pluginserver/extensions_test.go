package pluginserver

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// withExtensions returns a copy of c with every extension field of issue 24 set.
func withExtensions(c *pb.ConversationMessage) *pb.ConversationMessage {
	c = proto.Clone(c).(*pb.ConversationMessage)
	c.ReplaceId, c.ReplyToId, c.ReplyToSender = proto.String("r1"), proto.String("r2"), proto.String("bob")
	c.ReplyFallbackEnd = proto.Uint32(3)
	c.ReactToId, c.Reaction, c.RetractId = proto.String("r3"), []string{"👍"}, proto.String("r4")
	c.DisplayedId = proto.String("r5")
	return c
}

// TestGoldenStripped (issue 24): each CONV_MESSAGE the real Spectrum 2 daemon sent to a
// real backend (protocol/testdata), with every extension field added, is what a backend
// that announced none of the keys gets: the captured bytes, unchanged.
func TestGoldenStripped(t *testing.T) {
	files, err := filepath.Glob("../protocol/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden frames: %v", err)
	}
	n := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var g struct {
				Dir        string `json:"dir"`
				Type       string `json:"type"`
				WrapperHex string `json:"wrapper_hex"`
			}
			if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
				t.Fatal(err)
			}
			if g.Dir != ">>" || g.Type != "TYPE_CONV_MESSAGE" {
				continue
			}
			raw, _ := hex.DecodeString(g.WrapperHex)
			var w pb.WrapperMessage
			if err := proto.Unmarshal(raw, &w); err != nil {
				t.Fatal(err)
			}
			m, err := protocol.Decode(protocol.Frame{Type: w.GetType(), Payload: w.GetPayload()})
			if err != nil {
				t.Fatal(err)
			}
			full := withExtensions(m.(*pb.ConversationMessage))
			out := stripExtensions(Features{MUC: true, Receipts: true, Markers: true, Attachments: true}, full)
			fr := protocol.MustEncode(pb.WrapperMessage_TYPE_CONV_MESSAGE, out)
			again, err := proto.Marshal(&pb.WrapperMessage{Type: fr.Type.Enum(), Payload: fr.Payload})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("%s: stripped frame\n %x\nwant\n %x", name, again, raw)
			}
			if full.ReplaceId == nil {
				t.Error("stripExtensions changed its argument")
			}
			n++
		}
		f.Close()
	}
	if n == 0 {
		t.Fatal("no CONV_MESSAGE from the daemon in the golden frames")
	}
}

// TestStripPerKey: each key keeps its own fields and only those; a displayed marker never
// goes to a backend.
func TestStripPerKey(t *testing.T) {
	base := &pb.ConversationMessage{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String("x")}
	full := withExtensions(base)
	for _, tc := range []struct {
		name string
		f    Features
		want func(c *pb.ConversationMessage)
	}{
		{"corrections", Features{Corrections: true}, func(c *pb.ConversationMessage) { c.ReplaceId = full.ReplaceId }},
		{"replies", Features{Replies: true}, func(c *pb.ConversationMessage) {
			c.ReplyToId, c.ReplyToSender, c.ReplyFallbackEnd = full.ReplyToId, full.ReplyToSender, full.ReplyFallbackEnd
		}},
		{"reactions", Features{Reactions: true}, func(c *pb.ConversationMessage) { c.ReactToId, c.Reaction = full.ReactToId, full.Reaction }},
		{"retractions", Features{Retractions: true}, func(c *pb.ConversationMessage) { c.RetractId = full.RetractId }},
	} {
		want := proto.Clone(base).(*pb.ConversationMessage)
		tc.want(want)
		if got := stripExtensions(tc.f, full); !proto.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, want)
		}
	}
	if got := stripExtensions(Features{}, base); got != proto.Message(base) {
		t.Error("a message without extensions was copied")
	}
}

// TestConvEventOnlyWhenAnnounced: Send refuses a reaction or retraction the backends did
// not announce with ErrNotAnnounced (the router answers the client), and any displayed
// marker; it queues an announced one.
func TestConvEventOnlyWhenAnnounced(t *testing.T) {
	react := &pb.ConversationMessage{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
		ReactToId: proto.String("m1"), Reaction: []string{"👍"}}
	retract := &pb.ConversationMessage{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
		RetractId: proto.String("m1")}
	displayed := &pb.ConversationMessage{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
		DisplayedId: proto.String("m1")}
	empty := &pb.ConversationMessage{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String("")}
	for _, tc := range []struct {
		name string
		f    Features
		m    *pb.ConversationMessage
		ok   bool
	}{
		{"reaction, nothing announced", Features{}, react, false},
		{"reaction, reactions", Features{Reactions: true}, react, true},
		{"reaction, retractions only", Features{Retractions: true}, react, false},
		{"retraction, nothing announced", Features{}, retract, false},
		{"retraction, retractions", Features{Retractions: true}, retract, true},
		{"displayed", Features{Markers: true, Reactions: true, Retractions: true}, displayed, false},
	} {
		err := eventAnnounced(tc.f, tc.m)
		if tc.ok != (err == nil) {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrNotAnnounced) {
			t.Errorf("%s: %v, want ErrNotAnnounced", tc.name, err)
		}
	}
	if err := eventAnnounced(Features{Reactions: true, Retractions: true}, empty); err == nil {
		t.Error("an empty CONV_EVENT was accepted")
	}
	// Through Send: the fake backend announced none of the keys.
	h := start(t, Config{})
	h.login(t, "alice@localhost", "secret")
	react.UserName = proto.String("alice@localhost")
	if err := h.s.Send("alice@localhost", pb.WrapperMessage_TYPE_CONV_EVENT, react); !errors.Is(err, ErrNotAnnounced) {
		t.Errorf("Send(CONV_EVENT) to a backend without features.reactions: %v", err)
	}
}
