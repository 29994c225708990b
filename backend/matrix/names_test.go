package matrix

import (
	"strings"
	"testing"

	"maunium.net/go/mautrix/id"
)

func TestParseAccount(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice@example.org", "@alice:example.org"},
		{"Alice%example.org", "@alice:example.org"},
		{"@alice:example.org:8448", "@alice:example.org:8448"},
		{"alice@example.org:8448", "@alice:example.org:8448"},
	} {
		a, err := parseAccount(tc.in)
		if err != nil || a.userID() != id.UserID(tc.want) {
			t.Errorf("parseAccount(%q) = %v, %v; want %s", tc.in, a.userID(), err, tc.want)
		}
	}
	for _, bad := range []string{"", "alice", "@example.org", "alice@", "a:b@example.org", "alice@ex/ample"} {
		if _, err := parseAccount(bad); err == nil {
			t.Errorf("parseAccount(%q) accepted", bad)
		}
	}
}

func TestBuddyNames(t *testing.T) {
	u := id.UserID("@bob:example.org:8448")
	if got := buddyName(u); got != "bob@example.org:8448" {
		t.Fatalf("buddyName = %q", got)
	}
	if back, ok := userOf(buddyName(u)); !ok || back != u {
		t.Fatalf("userOf(buddyName) = %q, %v", back, ok)
	}
	if back, ok := userOf("@bob:example.org"); !ok || back != "@bob:example.org" {
		t.Fatalf("userOf(mxid) = %q, %v", back, ok)
	}
	if _, ok := userOf("bob"); ok {
		t.Fatal("userOf accepted a name without a server")
	}
	if h := hostOf("example.org:8448"); h != "example.org" {
		t.Fatalf("hostOf = %q", h)
	}
}

func TestParseConfigRejectsBadHomeserver(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil || c.SyncTimeout != DefaultSyncTimeout || c.Homeserver != "" {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}

// Room names survive the case folding of JID nodes: foldCase marks capitals, and
// unfoldCase gives the original back from the folded (lower-case) name.
func TestRoomNameCase(t *testing.T) {
	for _, tc := range []struct{ name, folded string }{
		{"#lobby:matrix.org", "#lobby:matrix.org"},
		{"#MyRoom:matrix.org", "#^my^room:matrix.org"},
		{"#a^b:x", "#a^^b:x"},
		{"#^A^:x", "#^^^a^^:x"},
		{"#!AbCdEf:Example.org", "#!^ab^cd^ef:^example.org"},
		{"#Ünïcode:x", "#^ünïcode:x"},
	} {
		got := foldCase(tc.name)
		if got != tc.folded {
			t.Errorf("foldCase(%q) = %q, want %q", tc.name, got, tc.folded)
		}
		if strings.ToLower(got) != got {
			t.Errorf("foldCase(%q) = %q is not lower case", tc.name, got)
		}
		if back := unfoldCase(strings.ToLower(got)); back != tc.name {
			t.Errorf("unfoldCase(%q) = %q, want %q", got, back, tc.name)
		}
	}
	if got := unfoldCase("#lobby^"); got != "#lobby^" {
		t.Errorf("a lone mark at the end: %q", got)
	}
	rs := newRooms()
	if got := rs.roomTarget("#^my^room:x"); got != "#MyRoom:x" {
		t.Errorf("target of #^my^room:x: %q", got)
	}
	if got := rs.roomTarget("#!^ab^c:x"); got != "!AbC:x" {
		t.Errorf("target of a room ID: %q", got)
	}
}
