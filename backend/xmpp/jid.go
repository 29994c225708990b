package xmpp

import (
	"errors"
	"strings"
)

// parseAccount reads the legacy name the daemon sends: the remote bare JID
// ("alice@example.org", spec 3.3 turns the login alice%example.org@gateway into it), with
// an optional resource; a legacy name whose '@' is still written '%' is accepted too.
func parseAccount(legacy, password, defaultResource string) (account, error) {
	name, resource, _ := strings.Cut(legacy, "/")
	if !strings.Contains(name, "@") {
		if i := strings.LastIndex(name, "%"); i >= 0 {
			name = name[:i] + "@" + name[i+1:]
		}
	}
	local, domain, ok := strings.Cut(name, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@\"'<>& \t\r\n") {
		return account{}, errors.New("the legacy name must be a JID: user@server")
	}
	if resource == "" {
		resource = defaultResource
	}
	return account{local: local, domain: strings.ToLower(domain), resource: resource, password: password}, nil
}

// bareJID returns jid without its resource.
func bareJID(jid string) string {
	b, _, _ := strings.Cut(jid, "/")
	return b
}

// splitJID returns the bare JID and the resource.
func splitJID(jid string) (bare, resource string) {
	bare, resource, _ = strings.Cut(jid, "/")
	return bare, resource
}

// key is how JIDs are compared: case-insensitively (a cheap stand-in for nodeprep and
// nameprep, enough for the JIDs servers send back as they were given).
func key(jid string) string { return strings.ToLower(bareJID(jid)) }
