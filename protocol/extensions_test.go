package protocol

import (
	"bytes"
	"encoding/hex"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestExtensionFieldsAbsent (issue 24): every captured CONV_MESSAGE, decoded and encoded
// again with this proto (which knows the extension fields 101-108), gives the captured
// bytes and has none of the extension fields set: a message without them is encoded as
// Spectrum 2 encodes it.
func TestExtensionFieldsAbsent(t *testing.T) {
	n := 0
	for file, frames := range loadGolden(t) {
		for i, g := range frames {
			if g.Type != "TYPE_CONV_MESSAGE" {
				continue
			}
			raw, err := hex.DecodeString(g.WrapperHex)
			if err != nil {
				t.Fatal(err)
			}
			var w pb.WrapperMessage
			if err := proto.Unmarshal(raw, &w); err != nil {
				t.Fatalf("%s #%d: %v", file, i, err)
			}
			m, err := Decode(Frame{Type: w.GetType(), Payload: w.GetPayload()})
			if err != nil {
				t.Fatalf("%s #%d: %v", file, i, err)
			}
			c := m.(*pb.ConversationMessage)
			if c.ReplaceId != nil || c.ReplyToId != nil || c.ReplyToSender != nil || c.ReplyFallbackEnd != nil ||
				c.ReactToId != nil || c.Reaction != nil || c.RetractId != nil || c.DisplayedId != nil {
				t.Errorf("%s #%d: extension field set in a Spectrum 2 frame: %v", file, i, c)
			}
			f := MustEncode(pb.WrapperMessage_TYPE_CONV_MESSAGE, c)
			again, err := proto.MarshalOptions{Deterministic: true}.Marshal(&pb.WrapperMessage{Type: f.Type.Enum(), Payload: f.Payload})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("%s #%d: re-encoded\n %x\nwant\n %x", file, i, again, raw)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no CONV_MESSAGE in the golden frames")
	}
}

// TestExtensionFieldNumbers: the extension fields are numbered 100 and above and the
// body-less type is far above Spectrum 2's last type (36), so an unmodified backend
// skips them as unknown (protobuf) or never gets them (the daemon sends them only on the
// backend's announcement, pluginserver).
func TestExtensionFieldNumbers(t *testing.T) {
	fields := (&pb.ConversationMessage{}).ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Number() > 11 && f.Number() < 100 {
			t.Errorf("field %s numbered %d: ours must be >= 100", f.Name(), f.Number())
		}
	}
	if pb.WrapperMessage_TYPE_CONV_EVENT < 100 {
		t.Errorf("TYPE_CONV_EVENT = %d", pb.WrapperMessage_TYPE_CONV_EVENT)
	}
}

// TestConvEventRoundTrip: a reaction in a CONV_EVENT frame decodes with its fields, an
// empty reaction set (all removed) included.
func TestConvEventRoundTrip(t *testing.T) {
	for _, m := range []*pb.ConversationMessage{
		{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
			ReactToId: proto.String("m1"), Reaction: []string{"👍", "😂"}},
		{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
			ReactToId: proto.String("m1")},
		{UserName: proto.String("u"), BuddyName: proto.String("b"), Message: proto.String(""),
			RetractId: proto.String("m2")},
	} {
		got, err := Decode(MustEncode(pb.WrapperMessage_TYPE_CONV_EVENT, m))
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, m) {
			t.Errorf("got %v, want %v", got, m)
		}
	}
}
