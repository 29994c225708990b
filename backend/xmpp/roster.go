package xmpp

import (
	"context"
	"slices"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// contact is one roster item and the presences of its resources.
type contact struct {
	jid, name    string
	groups       []string
	subscription string // none, to, from, both
	ask          bool   // our subscription request is pending
	resources    map[string]presence
	iconHash     *string
}

// presence is what one resource of a contact announced.
type presence struct {
	status   pb.StatusType
	message  string
	priority int
}

// best is the contact's presence for the daemon: the highest-priority resource's (RFC 6121
// section 8.5.2.1.1), or STATUS_NONE when none is available.
func (ct *contact) best() presence {
	best := presence{status: pb.StatusType_STATUS_NONE, priority: -129}
	for _, p := range ct.resources {
		if p.priority > best.priority {
			best = p
		}
	}
	if best.priority == -129 {
		best.priority = 0
	}
	return best
}

// buddy renders the contact as BUDDY_CHANGED (spec 3.7): name = bare JID, alias = the
// roster name, groups, aggregated status and the avatar hash.
func (s *session) buddy(ct *contact) backend.Buddy {
	p := ct.best()
	return backend.Buddy{User: s.user, Name: ct.jid, Alias: ct.name, Groups: slices.Clone(ct.groups),
		Status: p.status, StatusMessage: p.message, IconHash: ct.iconHash}
}

// requestRoster fetches the roster (RFC 6121 section 2.2), reports every contact, then
// sends the initial presence.
func (s *session) requestRoster(c *conn) {
	get := stanza.New(stanza.NSClient, "iq", "type", "get").Append(stanza.New(stanza.NSRoster, "query"))
	c.request(get, s.p.cfg.ConnectTimeout, func(reply *stanza.Element) {
		if reply != nil && reply.Type() == "result" {
			for _, b := range s.applyRoster(reply.Child(stanza.NSRoster, "query")) {
				s.sendBuddy(b)
			}
		} else {
			s.log.Warn().Msg("no roster")
		}
		s.sendPresence(c)
	})
}

// rosterPush applies a roster push (RFC 6121 section 2.1.6) from our own account.
func (s *session) rosterPush(c *conn, iq *stanza.Element) {
	if !s.self(iq.From()) {
		c.send(stanza.ErrorReply(iq, stanza.ErrTypeCancel, stanza.StanzaServiceUnavailable, ""))
		return
	}
	c.send(stanza.New(stanza.NSClient, "iq", "type", "result", "id", iq.ID()))
	for _, b := range s.applyRoster(iq.Child(stanza.NSRoster, "query")) {
		s.sendBuddy(b)
	}
}

// rosterChange is one contact to report: added/changed, or removed.
type rosterChange struct {
	buddy   backend.Buddy
	removed bool
}

// applyRoster merges roster items into the session's roster and returns what changed.
func (s *session) applyRoster(q *stanza.Element) []rosterChange {
	if q == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []rosterChange
	for _, item := range q.Children() {
		jid := item.Attr("jid")
		if item.Local != "item" || jid == "" || key(jid) == key(s.own) {
			continue // spec 3.7: the user's own name is never a buddy
		}
		k := key(jid)
		if item.Attr("subscription") == "remove" {
			if ct := s.roster[k]; ct != nil {
				delete(s.roster, k)
				out = append(out, rosterChange{buddy: backend.Buddy{User: s.user, Name: ct.jid}, removed: true})
			}
			continue
		}
		ct := s.roster[k]
		if ct == nil {
			ct = &contact{jid: bareJID(jid), resources: map[string]presence{}}
			s.roster[k] = ct
		}
		ct.name, ct.subscription, ct.ask = item.Attr("name"), item.Attr("subscription"), item.Attr("ask") == "subscribe"
		ct.groups = ct.groups[:0]
		for _, g := range item.Children() {
			if g.Local == "group" && g.Text() != "" {
				ct.groups = append(ct.groups, g.Text())
			}
		}
		out = append(out, rosterChange{buddy: s.buddy(ct)})
	}
	return out
}

func (s *session) sendBuddy(ch rosterChange) {
	if ch.removed {
		s.sink.BuddyRemoved(s.user, ch.buddy.Name)
		return
	}
	s.sink.Buddy(ch.buddy)
}

// editRoster handles the user's BUDDY_CHANGED (spec 3.7): the roster item is set, a
// waiting subscription request from the contact is approved, and we ask for the
// contact's presence unless we have it or asked already.
func (s *session) editRoster(c *conn, b backend.Buddy) {
	if b.Blocked != nil {
		return // blocking (XEP-0191) is not bridged
	}
	item := stanza.New(stanza.NSRoster, "item", "jid", bareJID(b.Name)).SetAttr("name", b.Alias)
	for _, g := range b.Groups {
		item.Append(stanza.New(stanza.NSRoster, "group").AppendText(g))
	}
	set := stanza.New(stanza.NSClient, "iq", "type", "set").Append(stanza.New(stanza.NSRoster, "query").Append(item))
	c.request(set, s.p.cfg.ConnectTimeout, func(*stanza.Element) {})
	k := key(b.Name)
	s.mu.Lock()
	approve := s.asked[k]
	delete(s.asked, k)
	ct := s.roster[k]
	subscribe := ct == nil || !ct.ask && ct.subscription != "to" && ct.subscription != "both"
	s.mu.Unlock()
	if approve {
		c.send(stanza.New(stanza.NSClient, "presence", "type", "subscribed", "to", bareJID(b.Name)))
	}
	if subscribe {
		c.send(stanza.New(stanza.NSClient, "presence", "type", "subscribe", "to", bareJID(b.Name)))
	}
}

// removeContact handles BUDDY_REMOVED: the item is removed, which also cancels the
// subscriptions (RFC 6121 section 2.5.3).
func (s *session) removeContact(c *conn, b backend.Buddy) {
	item := stanza.New(stanza.NSRoster, "item", "jid", bareJID(b.Name), "subscription", "remove")
	set := stanza.New(stanza.NSClient, "iq", "type", "set").Append(stanza.New(stanza.NSRoster, "query").Append(item))
	c.request(set, s.p.cfg.ConnectTimeout, func(*stanza.Element) {})
}

// BuddyChanged adds, renames or regroups a contact on the remote roster.
func (p *Plugin) BuddyChanged(_ context.Context, _ *backend.Sink, b backend.Buddy) {
	if sess, c := p.live(b.User); c != nil {
		sess.editRoster(c, b)
	}
}

// BuddyRemoved removes a contact from the remote roster.
func (p *Plugin) BuddyRemoved(_ context.Context, _ *backend.Sink, b backend.Buddy) {
	if sess, c := p.live(b.User); c != nil {
		sess.removeContact(c, b)
	}
}

// live returns the user's session and its stream, or nil when the user has no stream.
func (p *Plugin) live(user string) (*session, *conn) {
	sess := p.lookup(user)
	if sess == nil {
		return nil, nil
	}
	c := sess.conn()
	if c == nil {
		return nil, nil
	}
	return sess, c
}
