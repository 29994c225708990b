package router

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// featureLogin asks the Sessions features about a login before the legacy network is
// (the administrators, spec 3.3); handled is false when none takes it.
func (r *Router) featureLogin(bare jid.JID, password string) (g c2s.Grant, handled bool, err error) {
	for _, f := range r.feats.sessions {
		handled, ok := f.Authenticate(bare, password)
		switch {
		case !handled:
			continue
		case !ok:
			return nil, true, &c2s.AuthError{Condition: "not-authorized"}
		case r.isClosed():
			return nil, true, &c2s.AuthError{Condition: "temporary-auth-failure", Text: "The service is shutting down."}
		}
		return sessionGrant{r: r, f: f}, true, nil
	}
	return nil, false, nil
}

// sessionGrant is a login a Sessions feature accepted (c2s.Grant).
type sessionGrant struct {
	r *Router
	f feature.Sessions
}

// Bind implements c2s.Grant.
func (g sessionGrant) Bind(s *c2s.Session) (c2s.SessionHandler, error) {
	return g.r.newFeatureSession(s, g.f), nil
}

// Release implements c2s.Grant.
func (sessionGrant) Release() {}

// featureSession is one bound resource served by a Sessions feature. It has its own
// actor: its stanzas are handled in order, off c2s's reader goroutine, and the router's
// Run waits for them like for the users' actors.
type featureSession struct {
	r   *Router
	res Resource
	mb  mailbox
	h   feature.Session
}

func (r *Router) newFeatureSession(res Resource, f feature.Sessions) *featureSession {
	s := &featureSession{r: r, res: res}
	s.mb.wg = r.actors
	s.mb.limit = r.cfg.Limits.Mailbox // its stanzas wait for room like a user's (Room)
	s.h = f.Open(featureConn{s})
	return s
}

// HandleStanza implements c2s.SessionHandler.
func (s *featureSession) HandleStanza(el *xmpp.Element) {
	s.mb.post(func() { s.h.HandleStanza(el) })
}

// Room implements c2s.Pacer: the client waits while Limits.Mailbox stanzas are queued.
func (s *featureSession) Room(ctx context.Context) { s.mb.waitRoom(ctx) }

// Closed implements c2s.SessionHandler. Nothing sent to an administrator is kept.
func (s *featureSession) Closed([]*xmpp.Element) {
	s.mb.post(s.h.Closed)
}

// featureConn is the feature's handle on the resource (feature.Conn).
type featureConn struct{ s *featureSession }

func (c featureConn) JID() jid.JID { return c.s.res.JID() }

func (c featureConn) Send(el *xmpp.Element) {
	err := c.s.res.Send(el)
	c.s.r.observeSend(el, err)
}

func (c featureConn) Close(condition, text string) { c.s.res.Close(condition, text) }

// discoItems are the features' items of a server node (feature.DiscoItems).
func (f *features) discoItems(node string) *xmpp.Element {
	q := xmpp.New(xmpp.NSDiscoItems, "query", "node", node)
	for _, d := range f.items {
		for _, it := range d.DiscoItems(node) {
			item := xmpp.New(xmpp.NSDiscoItems, "item", "jid", it.JID)
			if it.Node != "" {
				item.SetAttr("node", it.Node)
			}
			if it.Name != "" {
				item.SetAttr("name", it.Name)
			}
			q.Append(item)
		}
	}
	return q
}
