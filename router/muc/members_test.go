package muc

import (
	"fmt"
	"slices"
	"testing"
	"unique"
)

func nicks(m *members) []string {
	var out []string
	m.all(func(p participant) bool { out = append(out, p.nick); return true })
	return out
}

// TestMembersOrderAndBound: arrival order survives leaves, rejoins and the compaction of
// order's holes; a new member past the bound is refused, a known one still updated.
func TestMembersOrderAndBound(t *testing.T) {
	var m members
	for i := range 10 {
		n := fmt.Sprintf("n%d", i)
		if !m.put(n, participant{nick: n}, 10) {
			t.Fatalf("%s refused below the bound", n)
		}
	}
	if m.put("n10", participant{nick: "n10"}, 10) {
		t.Fatal("an 11th member kept at a bound of 10")
	}
	if !m.put("n3", participant{nick: "n3", message: "away"}, 10) {
		t.Fatal("an update refused at the bound")
	}
	for _, n := range []string{"n1", "n2", "n5", "n7", "n8", "n9"} { // past half: compacted
		if !m.remove(n) {
			t.Fatalf("%s not removed", n)
		}
	}
	if m.remove("n1") {
		t.Fatal("n1 removed twice")
	}
	m.put("n1", participant{nick: "n1"}, 10) // back, now last
	want := []string{"n0", "n3", "n4", "n6", "n1"}
	if got := nicks(&m); !slices.Equal(got, want) || m.len() != len(want) {
		t.Fatalf("members %v (len %d), want %v", got, m.len(), want)
	}
	if p, ok := m.get("n3"); !ok || p.message != "away" {
		t.Fatalf("n3 is %+v %v", p, ok)
	}
	if len(m.order) > 2*m.len() {
		t.Fatalf("order holds %d keys for %d members", len(m.order), m.len())
	}
}

// TestMembersShared: two users' views of a member in the same state hold one record.
func TestMembersShared(t *testing.T) {
	var a, b members
	a.put("ada", participant{nick: "Ada", status: 1}, 0)
	b.put("ada", participant{nick: "Ada", status: 1}, 0)
	if a.byKey[unique.Make("ada")].p != b.byKey[unique.Make("ada")].p {
		t.Fatal("the same member in the same state is two records")
	}
}
