package jidmap

import "testing"

// Spec 3.3 table: the login node -> Login.legacyName.
func TestLoginLegacyName(t *testing.T) {
	for _, tc := range []struct{ node, want string }{
		{"user%gmail.com", "user@gmail.com"},
		{"a%b%c", "a@b@c"},
		{"client", "client"},
		{`user\40gmail.com`, `user\40gmail.com`},
		{"prpl-jabber.hanzz.k%gmail.com", "prpl-jabber.hanzz.k@gmail.com"},
	} {
		if got := LoginLegacyName(tc.node); got != tc.want {
			t.Errorf("LoginLegacyName(%q) = %q, want %q", tc.node, got, tc.want)
		}
	}
}

// Spec 3.7: buddy JIDs with escaping on and off, and the reverse mapping.
func TestBuddyJIDMapping(t *testing.T) {
	for _, tc := range []struct {
		name     string
		escaping bool
		want     string
	}{
		{"buddy1@test", true, `buddy1\40test@localhost`},
		{"buddy1@test", false, "buddy1%test@localhost"},
		{"a@b@c", false, "a@b%c@localhost"},
		{"john doe", true, `john\20doe@localhost`},
		{`x"&'/:<>`, true, `x\22\26\27\2f\3a\3c\3e@localhost`},
		{`back\slash`, true, `back\slash@localhost`},
		{`back\40slash`, true, `back\5c40slash@localhost`},
		{"#channel@irc", true, `#channel\40irc@localhost`},
		{"Mixed", true, "mixed@localhost"},
	} {
		j, err := BuddyJID(tc.name, "localhost", tc.escaping)
		if tc.want == "a@b%c@localhost" {
			if err == nil {
				t.Errorf("BuddyJID(%q, off) = %v, want an invalid JID", tc.name, j)
			}
			continue
		}
		if err != nil {
			t.Errorf("BuddyJID(%q): %v", tc.name, err)
			continue
		}
		if j.String() != tc.want {
			t.Errorf("BuddyJID(%q, %v) = %q, want %q", tc.name, tc.escaping, j, tc.want)
		}
		if back := NodeToLegacy(j.Localpart()); Key(back) != Key(tc.name) {
			t.Errorf("NodeToLegacy(%q) = %q, want %q", j.Localpart(), back, tc.name)
		}
	}
}

func TestNodeToLegacy(t *testing.T) {
	for _, tc := range []struct{ node, want string }{
		{`buddy1\40test`, "buddy1@test"},
		{"buddy1%test", "buddy1@test"},
		{"a%b%c", "a%b@c"}, // only the last % (quirk 13, reproduced)
		{"plain", "plain"},
		{`no\escape`, `no\escape`},
	} {
		if got := NodeToLegacy(tc.node); got != tc.want {
			t.Errorf("NodeToLegacy(%q) = %q, want %q", tc.node, got, tc.want)
		}
	}
}

func TestBuddyJIDInvalid(t *testing.T) {
	if _, err := BuddyJID("a/b", "localhost", false); err == nil {
		t.Error("a name with / and escaping off must not give a JID")
	}
	if _, err := BuddyJID("", "localhost", true); err == nil {
		t.Error("an empty name must not give a JID")
	}
}
