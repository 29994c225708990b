package jidmap

import (
	"errors"
	"strings"

	"mellium.im/xmpp/jid"
)

// xep0106 maps the characters XEP-0106 escapes to their escape sequences.
var xep0106 = map[byte]string{
	' ': `\20`, '"': `\22`, '&': `\26`, '\'': `\27`, '/': `\2f`,
	':': `\3a`, '<': `\3c`, '>': `\3e`, '@': `\40`, '\\': `\5c`,
}

// isEscape reports whether s starts with a valid XEP-0106 escape sequence (\XX with XX one
// of the escapable characters, lowercase hex).
func isEscape(s string) bool {
	if len(s) < 3 || s[0] != '\\' {
		return false
	}
	for _, v := range xep0106 {
		if s[:3] == v {
			return true
		}
	}
	return false
}

// EscapeNode applies XEP-0106 to a legacy name. A backslash is escaped only where it would
// otherwise start a valid escape sequence, as Swiften's JID::getEscapedNode does (spec 3.7).
func EscapeNode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && !isEscape(s[i:]) {
			b.WriteByte(c)
			continue
		}
		if esc, ok := xep0106[c]; ok {
			b.WriteString(esc)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapeNode reverses EscapeNode: every valid escape sequence becomes its character.
func UnescapeNode(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isEscape(s[i:]) {
			h := s[i+1 : i+3]
			for c, v := range xep0106 {
				if v[1:] == h {
					b.WriteByte(c)
				}
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasEscape reports whether s contains at least one valid escape sequence.
func hasEscape(s string) bool {
	for i := range len(s) {
		if isEscape(s[i:]) {
			return true
		}
	}
	return false
}

// LegacyNode is the localpart of the JID of legacy name: XEP-0106 escaped when escaping is
// on, else only the last '@' replaced by '%' (spec 3.7).
func LegacyNode(name string, escaping bool) string {
	if escaping {
		return EscapeNode(name)
	}
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[:i] + "%" + name[i+1:]
	}
	return name
}

// NodeToLegacy is Buddy::JIDToLegacyName without the roster lookup (spec 3.7): a node with
// XEP-0106 escapes is unescaped, otherwise its last '%' becomes '@'.
func NodeToLegacy(node string) string {
	if hasEscape(node) {
		return UnescapeNode(node)
	}
	if i := strings.LastIndexByte(node, '%'); i >= 0 {
		return node[:i] + "@" + node[i+1:]
	}
	return node
}

// LoginLegacyName is Login.legacyName for a login JID's localpart: every '%' becomes '@'
// and XEP-0106 escapes are left as they are (spec 3.3 table; quirk 13 reproduced: changing
// it would change which legacy account existing users log in to).
func LoginLegacyName(node string) string {
	return strings.ReplaceAll(node, "%", "@")
}

// BuddyJID is the bare JID of legacy name on domain. It fails for names whose node is not
// a valid localpart; such buddies are dropped (spec 3.7, LocalBuddy.h).
func BuddyJID(name, domain string, escaping bool) (jid.JID, error) {
	if name == "" {
		return jid.JID{}, errors.New("jidmap: empty legacy name")
	}
	return jid.New(LegacyNode(name, escaping), domain, "")
}

// Key is the case-insensitive key of a legacy name, for rosters, conversations and rooms
// (spec 3.7: keys lowercased).
func Key(name string) string { return strings.ToLower(name) }
