package irc

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestMemberSet: a member comes back as it was put, its nick's case included; a nick whose
// case changes, and del, leave no case behind.
func TestMemberSet(t *testing.T) {
	var s memberSet
	s.put(member{nick: "Alice", flags: pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR})
	s.put(member{nick: "bob", away: true})
	if m, ok := s.get("alice"); !ok || m.nick != "Alice" || m.flags != pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR || m.away {
		t.Errorf("alice: %+v %v", m, ok)
	}
	if m, ok := s.get("bob"); !ok || m.nick != "bob" || m.flags != 0 || !m.away {
		t.Errorf("bob: %+v %v", m, ok)
	}
	s.put(member{nick: "alice"})
	if m, _ := s.get("alice"); m.nick != "alice" || len(s.cased) != 0 {
		t.Errorf("after lowercase put: %+v, %d cased", m, len(s.cased))
	}
	s.put(member{nick: "Carol"})
	s.del("carol")
	if _, ok := s.get("carol"); ok || len(s.cased) != 0 || s.len() != 2 {
		t.Errorf("after del: %d members, %d cased", s.len(), len(s.cased))
	}
}

// TestRoomMembersOption: without irc_max_room_members a channel keeps
// DefaultMaxRoomMembers (5,000) others; with it, that many.
func TestRoomMembersOption(t *testing.T) {
	o, err := readOptions(&ini.File{})
	if err != nil || o.roomMembers() != DefaultMaxRoomMembers || DefaultMaxRoomMembers != 5000 {
		t.Errorf("unset: %d, %v; want %d", o.roomMembers(), err, 5000)
	}
	cfg := &ini.File{}
	cfg.Add("service", "irc_max_room_members", "300")
	if o, err := readOptions(cfg); err != nil || o.roomMembers() != 300 {
		t.Errorf("irc_max_room_members = 300: %d, %v", o.roomMembers(), err)
	}
}
