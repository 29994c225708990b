package admin

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// session is one bound resource of an administrator (feature.Session). The router calls
// it on the session's own actor, so its fields need no lock.
type session struct {
	a     *Admin
	c     feature.Conn
	bare  jid.JID                  // the administrator's bare JID
	adhoc map[string]*adhocSession // XEP-0050 sessions by sessionid
}

// HandleStanza implements feature.Session.
func (s *session) HandleStanza(el *xmpp.Element) {
	if !s.a.stillAdmin(s) { // SetAdmins closes the stream; nothing more runs meanwhile
		s.c.Close(xmpp.CondPolicyViolation, revokedText)
		return
	}
	switch el.Local {
	case "message":
		s.message(el)
	case "presence":
		s.presence(el)
	case "iq":
		s.iq(el)
	}
}

// Closed implements feature.Session.
func (s *session) Closed() {
	s.a.mu.Lock()
	delete(s.a.live, s)
	s.a.mu.Unlock()
}

func (s *session) send(el *xmpp.Element) {
	if el != nil {
		s.c.Send(el)
	}
}

// toService reports whether to names the gateway itself (a JID without node, spec 3.20).
func (s *session) toService(to string) bool {
	j, err := jid.Parse(to)
	return err == nil && j.Localpart() == "" && j.Domainpart() == s.a.cfg.Domain
}

// message runs the body of a message to the gateway as a command and answers with the
// same message, to and from swapped, the body replaced by the result, the type kept
// (spec 3.20, AdminInterface.cpp:1230-1249). Anything else an admin sends is refused:
// the admin has no legacy session.
func (s *session) message(m *xmpp.Element) {
	if m.Type() == "error" {
		return
	}
	body := m.ChildText(xmpp.NSClient, "body")
	if !s.toService(m.To()) {
		s.send(xmpp.ErrorReply(m, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, "administrators have no legacy session"))
		return
	}
	if body == "" {
		return // chat states and receipts to the gateway
	}
	reply := xmpp.New(xmpp.NSClient, "message", "from", s.a.cfg.Domain, "to", m.From())
	if t := m.Type(); t != "" {
		reply.SetAttr("type", t)
	}
	if id := m.ID(); id != "" {
		reply.SetAttr("id", id)
	}
	reply.Append(xmpp.New(xmpp.NSClient, "body").AppendText(s.a.Command(body)))
	s.send(reply)
}

// presence answers an available presence of the administrator with the gateway's
// presence, so that the "Admin" contact shows online (spec 3.20).
func (s *session) presence(p *xmpp.Element) {
	if p.To() != "" || (p.Type() != "" && p.Type() != "probe") {
		return
	}
	s.send(xmpp.New(xmpp.NSClient, "presence", "from", s.a.cfg.Domain, "to", p.From()))
}

// rosterResult is the administrator's roster: the gateway is the only contact (spec 3.20).
func (s *session) rosterResult(iq *xmpp.Element) *xmpp.Element {
	q := xmpp.New(xmpp.NSRoster, "query").Append(
		xmpp.New(xmpp.NSRoster, "item", "jid", s.a.cfg.Domain, "name", "Admin", "subscription", "both"))
	return iqResult(iq).Append(q)
}

// iq answers roster, disco, ping and ad-hoc command requests of the administrator.
func (s *session) iq(iq *xmpp.Element) {
	typ := iq.Type()
	if typ != "get" && typ != "set" {
		return
	}
	kids := iq.Children()
	if len(kids) != 1 {
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "one payload expected"))
		return
	}
	p, service, own := kids[0], s.toService(iq.To()), iq.To() == ""
	switch {
	case p.Is(xmpp.NSRoster, "query") && own && typ == "get":
		s.send(s.rosterResult(iq))
	case p.Is(xmpp.NSPing, "ping") && typ == "get" && (own || service):
		s.send(iqResult(iq))
	case p.Is(xmpp.NSDiscoInfo, "query") && typ == "get" && service:
		s.discoInfo(iq, p)
	case p.Is(xmpp.NSDiscoItems, "query") && typ == "get" && service:
		s.discoItems(iq, p)
	case p.Is(xmpp.NSCommands, "command") && service:
		s.command(iq, p)
	default:
		s.send(xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}

// iqResult is the empty result of iq, from its to and to its from.
func iqResult(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("from", iq.To())
	r.SetAttr("to", iq.From())
	return r
}
