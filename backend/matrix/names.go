package matrix

import (
	"errors"
	"strings"
	"unicode"

	"maunium.net/go/mautrix/id"
)

// account is the Matrix account a user logs in to.
type account struct {
	local, server string
}

func (a account) userID() id.UserID { return id.NewUserID(a.local, a.server) }

// parseAccount reads the legacy name the daemon sends: "alice@example.org" (spec 3.3 turns
// the login alice%example.org@gateway into it); "alice%example.org" and a Matrix ID
// "@alice:example.org" are accepted too. Localparts are lower case on Matrix.
func parseAccount(legacy string) (account, error) {
	legacy = strings.TrimSpace(legacy)
	if strings.HasPrefix(legacy, "@") {
		if local, server, err := id.UserID(legacy).Parse(); err == nil && local != "" && server != "" {
			return account{local: strings.ToLower(local), server: strings.ToLower(server)}, nil
		}
	}
	name := legacy
	if !strings.Contains(name, "@") {
		if i := strings.LastIndex(name, "%"); i >= 0 {
			name = name[:i] + "@" + name[i+1:]
		}
	}
	local, server, ok := strings.Cut(name, "@")
	if !ok || local == "" || server == "" || strings.ContainsAny(server, "@/?#\"'<>& \t\r\n") ||
		strings.ContainsAny(local, ":@/ \t\r\n") {
		return account{}, errors.New("the legacy name must be user@homeserver")
	}
	return account{local: strings.ToLower(local), server: strings.ToLower(server)}, nil
}

// hostOf is the host of a server name ("example.org:8448" -> "example.org").
func hostOf(server string) string {
	if i := strings.LastIndex(server, ":"); i >= 0 && !strings.Contains(server[i:], "]") {
		return strings.Trim(server[:i], "[]")
	}
	return strings.Trim(server, "[]")
}

// buddyName is a Matrix user's contact name: "bob@example.org" for @bob:example.org, the
// form users log in with (the daemon escapes the '@' into the JID, XEP-0106).
func buddyName(u id.UserID) string {
	local, server, err := u.Parse()
	if err != nil {
		return string(u)
	}
	return local + "@" + server
}

// userOf reverses buddyName; a Matrix ID is accepted as it is.
func userOf(buddy string) (id.UserID, bool) {
	if strings.HasPrefix(buddy, "@") && strings.Contains(buddy, ":") {
		return id.UserID(buddy), true
	}
	local, server, ok := strings.Cut(buddy, "@")
	if !ok || local == "" || server == "" {
		return "", false
	}
	return id.NewUserID(strings.ToLower(local), server), true
}

// caseMark marks a capital in a legacy room name: room JIDs' nodes are case-folded
// (PRECIS), but Matrix aliases and room IDs are case-sensitive, so "#MyRoom:server"
// is named "#^my^room:server" and a literal '^' is "^^"; an all-lower-case name is
// itself. unfoldCase reverses it exactly, whatever case the name comes back in.
const caseMark = '^'

// foldCase makes name survive case folding (see caseMark).
func foldCase(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r == caseMark || unicode.ToLower(r) != r }) {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		switch lower := unicode.ToLower(r); {
		case r == caseMark:
			b.WriteString("^^")
		case lower != r:
			b.WriteRune(caseMark)
			b.WriteRune(lower)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unfoldCase reverses foldCase on a name the daemon sends (in whatever case): a marked
// letter is a capital, the rest lower case.
func unfoldCase(name string) string {
	var b strings.Builder
	marked := false
	for _, r := range name {
		switch {
		case marked && r == caseMark:
			b.WriteRune(caseMark)
			marked = false
		case marked:
			b.WriteRune(unicode.ToUpper(r))
			marked = false
		case r == caseMark:
			marked = true
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if marked {
		b.WriteRune(caseMark) // a lone mark at the end stays
	}
	return b.String()
}
