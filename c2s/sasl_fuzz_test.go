package c2s

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzSASLPlain checks parsePlain (RFC 4616) on arbitrary messages: never a panic; a
// success names a bare JID at our domain with a non-empty localpart and returns the third
// NUL-separated field as the password; a failure is one of the conditions it may give.
func FuzzSASLPlain(f *testing.F) {
	for _, s := range []string{
		"\x00alice\x00secret", "alice@" + testDomain + "\x00alice\x00secret", "bob@other\x00alice\x00pw",
		"\x00\x00pw", "\x00alice\x00", "\x00alice\x00pw\x00extra", "\x00al ice\x00pw", "\x00Ålice\x00pässwörd",
		"\x00alice%irc.example\x00pw", "\x00a@b\x00pw", "\x00\xff\x00pw", "\x00ALICE\x00pw", "alice\x00alice\x00pw",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		user, password, cond := parsePlain(msg, testDomain)
		if cond != "" {
			switch cond {
			case saslMalformedRequest, saslNotAuthorized, saslInvalidAuthzid:
			default:
				t.Fatalf("condition %q for %q", cond, msg)
			}
			if password != "" || user.String() != "" {
				t.Fatalf("failure %q returns user %q or a password", cond, user)
			}
			return
		}
		parts := bytes.Split(msg, []byte{0})
		if len(parts) != 3 || !utf8.Valid(msg) {
			t.Fatalf("accepted %q", msg)
		}
		if password == "" || password != string(parts[2]) {
			t.Fatalf("password of %q is %q", msg, password)
		}
		if user.Localpart() == "" || user.Domainpart() != testDomain || user.Resourcepart() != "" {
			t.Fatalf("user of %q is %q", msg, user)
		}
	})
}
