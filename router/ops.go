package router

import (
	"errors"
	"slices"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// OpsConfig is the operations part of Config: the counting of what the router sends. Its
// zero value counts nothing. The administrators and their commands are the admin
// feature's (package admin, on the seam of router/feature).
type OpsConfig struct {
	// Ops is told about every stanza the router sends; nil counts nothing.
	// *metrics.Metrics implements it, and the optional counters found on it by type
	// assertion (UndeliverableCounter, PanicCounter, RawDropCounter).
	Ops Ops
}

// Ops observes outgoing stanzas.
type Ops interface {
	// StanzaOut is called for every stanza queued to a client.
	StanzaOut(el *xmpp.Element)
	// QueueOverflow is called when a client's queue overflowed (the connection is closed).
	QueueOverflow()
}

// noOps is the Ops of a router configured without one.
type noOps struct{}

func (noOps) StanzaOut(*xmpp.Element) {}
func (noOps) QueueOverflow()          {}

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
