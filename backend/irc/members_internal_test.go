package irc

import (
	"slices"
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

// TestMemberSetShared: two connections' sets of one channel hold the same interned names,
// not a copy each; all lists every member but the one skipped.
func TestMemberSetShared(t *testing.T) {
	var a, b memberSet
	for _, s := range []*memberSet{&a, &b} {
		s.put(member{nick: "Alice"})
		s.put(member{nick: "bob", away: true})
		s.put(member{nick: "me"})
	}
	for ka := range a.bits {
		if _, ok := b.bits[ka]; !ok {
			t.Errorf("%q: not the same handle in both sets", ka.Value())
		}
		if ca, cb := a.cased[ka], b.cased[ka]; ca != cb {
			t.Errorf("%q: cased names differ: %q, %q", ka.Value(), ca.Value(), cb.Value())
		}
	}
	var got []string
	a.all("me", func(m member) { got = append(got, m.nick) })
	slices.Sort(got)
	if want := []string{"Alice", "bob"}; !slices.Equal(got, want) {
		t.Errorf("all but me: %v, want %v", got, want)
	}
	if !a.has("alice") || a.has("Alice") || a.has("carol") {
		t.Error("has: alice should be there under its lowercased key only")
	}
	var empty memberSet
	empty.del("x")
	if _, ok := empty.get("x"); ok || empty.has("x") || empty.len() != 0 {
		t.Error("the zero set is not empty")
	}
}
