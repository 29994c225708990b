package backend_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// replayer sends a fixed list of events when a user logs in.
type replayer struct{ events []func(*backend.Sink) }

func (replayer) Features() backend.Features { return backend.Features{} }
func (r replayer) Login(_ context.Context, s *backend.Sink, _ backend.Login) {
	for _, e := range r.events {
		e(s)
	}
}
func (replayer) Logout(context.Context, *backend.Sink, backend.Logout) {}

// event turns what a real backend sent into the same event through the Sink; nil for
// frames that are not events (PONG, STATS, BACKEND_CONFIG).
func event(t *testing.T, f protocol.Frame, m proto.Message) func(*backend.Sink) {
	switch v := m.(type) {
	case *pb.Connected:
		return func(s *backend.Sink) { s.Connected(v.GetUser()) }
	case *pb.Disconnected:
		return func(s *backend.Sink) {
			s.Disconnected(v.GetUser(), pb.ConnectionError(v.GetError()), v.GetMessage())
		}
	case *pb.Participant:
		return func(s *backend.Sink) {
			s.Participant(backend.Participant{User: v.GetUserName(), Room: v.GetRoom(), Nickname: v.GetNickname(),
				Flags: pb.ParticipantFlag(v.GetFlag()), Status: v.GetStatus(), StatusMessage: v.GetStatusMessage(),
				NewName: v.GetNewname(), IconHash: v.GetIconHash(), Alias: v.GetAlias()})
		}
	case *pb.ConversationMessage:
		return func(s *backend.Sink) {
			s.Message(backend.Message{User: v.GetUserName(), Buddy: v.GetBuddyName(), Body: v.GetMessage(),
				Nickname: v.GetNickname(), XHTML: v.GetXhtml(), Timestamp: v.GetTimestamp(), ID: v.GetId(),
				Headline: v.GetHeadline(), PM: v.GetPm(), Carbon: v.GetCarbon()})
		}
	case *pb.Buddy:
		return func(s *backend.Sink) {
			s.Buddy(backend.Buddy{User: v.GetUserName(), Name: v.GetBuddyName(), Alias: v.GetAlias(),
				Groups: v.GetGroup(), Status: v.GetStatus(), StatusMessage: v.GetStatusMessage(),
				IconHash: v.IconHash, Blocked: v.Blocked})
		}
	case *pb.RoomList:
		return func(s *backend.Sink) {
			var rooms []backend.RoomListEntry
			for i, r := range v.GetRoom() {
				rooms = append(rooms, backend.RoomListEntry{Room: r, Name: v.GetName()[i]})
			}
			s.RoomList(v.GetUser(), rooms)
		}
	}
	if f.Type != pb.WrapperMessage_TYPE_PONG && f.Type != pb.WrapperMessage_TYPE_STATS &&
		f.Type != pb.WrapperMessage_TYPE_BACKEND_CONFIG {
		t.Fatalf("captured %v has no Sink method in this test", f.Type)
	}
	return nil
}

// TestGoldenEvents: the Sink writes the events the C++ backends sent (libcommuni,
// libpurple, the C++ template) byte for byte as they did.
func TestGoldenEvents(t *testing.T) {
	for _, name := range []string{"libcommuni.jsonl", "libcommuni-gateway.jsonl", "libpurple.jsonl", "template.jsonl"} {
		t.Run(name, func(t *testing.T) {
			var want [][]byte
			var r replayer
			for _, g := range loadGolden(t, filepath.Join("../protocol/testdata", name)) {
				raw, _ := hex.DecodeString(g.WrapperHex)
				f, err := protocol.ParseWrapper(raw)
				if err != nil || g.Dir != "<<" {
					continue
				}
				m, err := protocol.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				if e := event(t, f, m); e != nil {
					r.events, want = append(r.events, e), append(want, raw)
				}
			}
			d := backendtest.Start(t, r)
			d.Login("u@localhost", "u", "")
			for i, w := range want {
				f, _ := d.Next()
				if got := protocol.AppendWrapper(nil, f); !bytes.Equal(got, w) {
					t.Errorf("event %d (%v):\n got %x\nwant %x", i, f.Type, got, w)
				}
			}
		})
	}
}
