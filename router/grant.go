package router

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// errSessionEnded is Bind's error when the legacy session ended between SASL and bind.
var errSessionEnded = errors.New("router: the legacy session has ended")

// grant is a successful Authenticate waiting for bind (c2s.Grant).
type grant struct {
	u    *user
	used atomic.Bool
}

// Bind implements c2s.Grant.
func (g *grant) Bind(s *c2s.Session) (c2s.SessionHandler, error) {
	h, err := g.bind(s)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return h, nil
}

// Release implements c2s.Grant.
func (g *grant) Release() { g.release() }

func (g *grant) release() {
	if g.used.Swap(true) {
		return
	}
	u := g.u
	u.post(func() {
		u.grants--
		u.maybeEnd()
	})
}

// bind attaches res to the user and returns its stanza handler. It waits for the user's
// actor, which never blocks for long.
func (g *grant) bind(res Resource) (*handler, error) {
	if g.used.Swap(true) {
		return nil, errors.New("router: grant already used")
	}
	u := g.u
	type result struct {
		h   *handler
		err error
	}
	ch := make(chan result, 1)
	u.post(func() {
		u.grants--
		if u.removed() || u.legacyIdle() {
			u.maybeEnd()
			ch <- result{err: errSessionEnded}
			return
		}
		rs := u.addResource(res)
		u.lingerDeliver(rs) // XEP-0198: what the last session never acknowledged
		ch <- result{h: &handler{u: u, rs: rs}}
	})
	r := <-ch
	return r.h, r.err
}

func (u *user) addResource(res Resource) *resource {
	full := res.JID()
	u.seq++
	rs := &resource{res: res, full: full, key: full.String(), seq: u.seq}
	if old := u.resources[rs.key]; old != nil {
		old.res.Close(xmpp.CondConflict, "Replaced by a new connection.")
	}
	u.resources[rs.key] = rs
	u.log.Debug().Str("resource", full.Resourcepart()).Msg("resource bound")
	return rs
}

// handler is the c2s.SessionHandler of one resource: it only enqueues.
type handler struct {
	u  *user
	rs *resource
}

// HandleStanza implements c2s.SessionHandler.
func (h *handler) HandleStanza(el *xmpp.Element) {
	h.u.post(func() { h.u.fromClient(h.rs, el) })
}

// Room implements c2s.Pacer: the client's stanzas wait while the user's mailbox is full
// (Limits.Mailbox), and c2s does not read the socket meanwhile.
func (h *handler) Room(ctx context.Context) { h.u.mb.waitRoom(ctx) }

// Closed implements c2s.SessionHandler.
func (h *handler) Closed(undelivered []*xmpp.Element) {
	h.u.post(func() { h.u.resourceClosed(h.rs, undelivered) })
}

// resourceClosed removes a resource; the legacy session ends with the last one (spec 3.5;
// quirk 7 fixed: the other resources stay).
func (u *user) resourceClosed(rs *resource, undelivered []*xmpp.Element) {
	if u.resources[rs.key] != rs {
		u.dropUndelivered(undelivered) // already removed (fatal, shutdown): traced
		return
	}
	delete(u.resources, rs.key)
	u.log.Debug().Str("resource", rs.full.Resourcepart()).Msg("resource closed")
	u.muc().ResourceGone(rs) // spec 3.12: its rooms, left when it was the last occupant
	for k, v := range u.convs {
		if v == rs.key {
			setLazy(&u.convs, k, "")
		}
	}
	u.smUndelivered(rs, undelivered) // stream management: another resource or later
	if len(u.resources) == 0 && u.grants == 0 && len(u.waiters) == 0 && !u.lingering() {
		u.endSession()
		return
	}
	u.updateStatus()
}

// fatal is the end of a legacy session the backend refused (spec 3.4): a message with the
// legacy text and <spectrumerror/> to every resource, a stream error, LOGOUT.
func (u *user) fatal(code int32, text string) {
	u.log.Warn().Int32("error", code).Str("reason", text).Msg("legacy session ended")
	cond := closeCondition(code)
	u.muc().Shutdown() // spec 3.5: room exits (332) before the streams close
	for _, rs := range u.resources {
		msg := xmpp.New(xmpp.NSClient, "message", "from", u.r.cfg.Domain, "to", rs.key, "type", "chat",
			"id", u.r.nextID("err"))
		if text != "" {
			msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(text))
		}
		msg.Append(spectrumError(code))
		u.send(rs, msg)
		rs.res.Close(cond, text)
	}
	u.resources = map[string]*resource{}
	u.endSession()
}

// spectrumError is <spectrumerror xmlns='http://spectrum.im/error' error='N'>NAME</...>
// (spec 3.4). Quirk 15 fixed: NAME is the right enum name for every code.
func spectrumError(code int32) *xmpp.Element {
	name := pb.ConnectionError(code).String()
	return xmpp.New(xmpp.NSSpectrum, "spectrumerror", "error", itoa(code)).AppendText(name)
}

// closeCondition picks the stream error for a fatal legacy error. Spectrum 2 always uses
// undefined-condition (spec 3.4); we say not-authorized when the legacy network refused
// the credentials and conflict when the legacy name is in use elsewhere, so that clients
// stop reconnecting with the same credentials instead of looping.
func closeCondition(code int32) string {
	switch pb.ConnectionError(code) {
	case pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME,
		pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED,
		pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_IMPOSSIBLE:
		return xmpp.CondNotAuthorized
	case pb.ConnectionError_CONNECTION_ERROR_NAME_IN_USE:
		return xmpp.CondConflict
	}
	return xmpp.CondUndefinedCondition
}
