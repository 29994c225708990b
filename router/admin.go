package router

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// OpsConfig is the operations part of Config: administrators (spec 3.20) and the
// counters the admin commands report. Its zero value means no admins and no counting.
type OpsConfig struct {
	// AdminJIDs are the bare JIDs of service.admin_jid. They log in with AdminPassword
	// and never get a legacy session (spec 3.3).
	AdminJIDs     []string
	AdminPassword string
	// Ops is told about every stanza the router sends and answers the counter commands;
	// nil counts nothing. *metrics.Metrics implements it.
	Ops Ops
	// Reload re-reads the configuration for the reload command; nil disables the command.
	Reload func() error
	// EraseUser deletes everything stored for a bare JID (store.DB.EraseUser) for the
	// erase_user command; nil: nothing is stored, the command says so.
	EraseUser func(ctx context.Context, bare string) error
}

// Ops observes outgoing stanzas and keeps the counters of the admin interface.
type Ops interface {
	// StanzaOut is called for every stanza queued to a client.
	StanzaOut(el *xmpp.Element)
	// QueueOverflow is called when a client's queue overflowed (the connection is closed).
	QueueOverflow()
	// Uptime is the time since the daemon started (admin command uptime).
	Uptime() time.Duration
	// MessagesFromXMPP and MessagesToXMPP are the admin counters of the same names.
	MessagesFromXMPP() uint64
	MessagesToXMPP() uint64
	// Memory is the daemon's own resident and shared memory in KB.
	Memory() (residentKB, sharedKB int64)
}

// noOps is the Ops of a router configured without one: it knows no uptime or counters.
type noOps struct{}

func (noOps) StanzaOut(*xmpp.Element)              {}
func (noOps) QueueOverflow()                       {}
func (noOps) Uptime() time.Duration                { return 0 }
func (noOps) MessagesFromXMPP() uint64             { return 0 }
func (noOps) MessagesToXMPP() uint64               { return 0 }
func (noOps) Memory() (residentKB, sharedKB int64) { return 0, 0 }

// ops returns the configured Ops or a no-op one.
func (r *Router) ops() Ops {
	if r.cfg.Ops.Ops != nil {
		return r.cfg.Ops.Ops
	}
	return noOps{}
}

// observeSend reports a stanza queued to a client and its error, if the queue overflowed.
func (r *Router) observeSend(el *xmpp.Element, err error) {
	o := r.cfg.Ops.Ops
	if o == nil {
		return
	}
	if err == nil {
		o.StanzaOut(el)
	} else if errors.Is(err, c2s.ErrQueueFull) {
		o.QueueOverflow()
	}
}

// OnlineUsers returns the bare JIDs of the users with a legacy session (or a login in
// progress), sorted.
func (r *Router) OnlineUsers() []string {
	r.mu.RLock()
	out := make([]string, 0, len(r.users))
	for k := range r.users {
		out = append(out, k)
	}
	r.mu.RUnlock()
	slices.Sort(out)
	return out
}

// adminSet is service.admin_jid and service.admin_password, replaceable at run time.
type adminSet struct {
	jids     []string
	password string
}

// SetAdmins replaces the administrators and their password (a configuration reload);
// sessions already logged in stay.
func (r *Router) SetAdmins(jids []string, password string) {
	r.admins.Store(&adminSet{jids: slices.Clone(jids), password: password})
}

// adminSet returns the current administrators.
func (r *Router) adminSet() *adminSet {
	if a := r.admins.Load(); a != nil {
		return a
	}
	return &adminSet{jids: r.cfg.Ops.AdminJIDs, password: r.cfg.Ops.AdminPassword}
}

// isAdmin reports whether bare is one of service.admin_jid.
func (a *adminSet) isAdmin(bare jid.JID) bool {
	return slices.ContainsFunc(a.jids, func(j string) bool {
		return strings.EqualFold(j, bare.String())
	})
}

// adminLogin decides the login of an administrator (spec 3.3: the password is
// service.admin_password, no legacy session); handled is false for anyone else.
func (r *Router) adminLogin(bare jid.JID, password string) (g c2s.Grant, handled bool, err error) {
	admins := r.adminSet()
	if !admins.isAdmin(bare) {
		return nil, false, nil
	}
	if admins.password == "" || !samePassword(admins.password, password) {
		return nil, true, &c2s.AuthError{Condition: "not-authorized"}
	}
	if r.isClosed() {
		return nil, true, &c2s.AuthError{Condition: "temporary-auth-failure", Text: "The service is shutting down."}
	}
	r.log.Info().Str("jid", bare.String()).Msg("administrator logged in")
	return adminGrant{r: r}, true, nil
}

// adminGrant is an administrator's successful login (c2s.Grant).
type adminGrant struct{ r *Router }

// Bind implements c2s.Grant.
func (g adminGrant) Bind(s *c2s.Session) (c2s.SessionHandler, error) {
	return g.r.newAdminSession(s), nil
}

// Release implements c2s.Grant.
func (adminGrant) Release() {}

// adminSession is one bound resource of an administrator. It has its own actor: the
// stanzas of one admin session are handled in order, off c2s's reader goroutine.
type adminSession struct {
	r     *Router
	res   Resource
	mb    mailbox
	adhoc map[string]*adhocSession // XEP-0050 sessions by sessionid; actor-owned
}

func (r *Router) newAdminSession(res Resource) *adminSession {
	a := &adminSession{r: r, res: res, adhoc: make(map[string]*adhocSession)}
	a.mb.wg = r.actors
	return a
}

// HandleStanza implements c2s.SessionHandler.
func (a *adminSession) HandleStanza(el *xmpp.Element) {
	a.mb.post(func() { a.handle(el) })
}

// Closed implements c2s.SessionHandler.
func (a *adminSession) Closed([]*xmpp.Element) {}

func (a *adminSession) send(el *xmpp.Element) {
	if el == nil {
		return
	}
	err := a.res.Send(el)
	a.r.observeSend(el, err)
}

// handle answers one stanza of the administrator.
func (a *adminSession) handle(el *xmpp.Element) {
	switch el.Local {
	case "message":
		a.message(el)
	case "presence":
		a.presence(el)
	case "iq":
		a.iq(el)
	}
}

// toService reports whether to names the gateway itself (a JID without node, spec 3.20).
func (a *adminSession) toService(to string) bool {
	j, err := jid.Parse(to)
	return err == nil && j.Localpart() == "" && j.Domainpart() == a.r.cfg.Domain
}

// message runs the body of a message to the gateway as a command and answers with the
// same message, to and from swapped, the body replaced by the result, the type kept
// (spec 3.20, AdminInterface.cpp:1230-1249). Anything else an admin sends is refused:
// the admin has no legacy session.
func (a *adminSession) message(m *xmpp.Element) {
	if m.Type() == "error" {
		return
	}
	body := m.ChildText(xmpp.NSClient, "body")
	if !a.toService(m.To()) {
		a.send(xmpp.ErrorReply(m, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, "administrators have no legacy session"))
		return
	}
	if body == "" {
		return // chat states and receipts to the gateway
	}
	reply := xmpp.New(xmpp.NSClient, "message", "from", a.r.cfg.Domain, "to", m.From())
	if t := m.Type(); t != "" {
		reply.SetAttr("type", t)
	}
	if id := m.ID(); id != "" {
		reply.SetAttr("id", id)
	}
	reply.Append(xmpp.New(xmpp.NSClient, "body").AppendText(a.r.AdminCommand(body)))
	a.send(reply)
}

// presence answers an available presence of the administrator with the gateway's
// presence, so that the "Admin" contact shows online (spec 3.20).
func (a *adminSession) presence(p *xmpp.Element) {
	if p.To() != "" || (p.Type() != "" && p.Type() != "probe") {
		return
	}
	a.send(xmpp.New(xmpp.NSClient, "presence", "from", a.r.cfg.Domain, "to", p.From()))
}

// adminRosterItem is the administrator's only contact: the gateway (spec 3.20).
func (a *adminSession) rosterResult(iq *xmpp.Element) *xmpp.Element {
	q := xmpp.New(xmpp.NSRoster, "query").Append(
		xmpp.New(xmpp.NSRoster, "item", "jid", a.r.cfg.Domain, "name", "Admin", "subscription", "both"))
	return iqResult(iq).Append(q)
}

// iq answers roster, disco, ping and ad-hoc command requests of the administrator.
func (a *adminSession) iq(iq *xmpp.Element) {
	typ := iq.Type()
	if typ != "get" && typ != "set" {
		return
	}
	kids := iq.Children()
	if len(kids) != 1 {
		a.send(xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "one payload expected"))
		return
	}
	p, service, own := kids[0], a.toService(iq.To()), iq.To() == ""
	switch {
	case p.Is(xmpp.NSRoster, "query") && own && typ == "get":
		a.send(a.rosterResult(iq))
	case p.Is(xmpp.NSPing, "ping") && typ == "get" && (own || service):
		a.send(iqResult(iq))
	case p.Is(xmpp.NSDiscoInfo, "query") && typ == "get" && service:
		a.discoInfo(iq, p)
	case p.Is(xmpp.NSDiscoItems, "query") && typ == "get" && service:
		a.discoItems(iq, p)
	case p.Is(xmpp.NSCommands, "command") && service:
		a.command(iq, p)
	default:
		a.send(xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}
