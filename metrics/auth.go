package metrics

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Authenticator wraps next so that logins are timed (spectrum2_login_duration_seconds),
// failures counted by SASL condition, bound sessions counted and incoming stanzas counted
// by kind. c2s gets the wrapper; next (the router) sees no difference.
func (m *Metrics) Authenticator(next c2s.Authenticator) c2s.Authenticator {
	return &authenticator{m: m, next: next}
}

type authenticator struct {
	m    *Metrics
	next c2s.Authenticator
}

// Authenticate implements c2s.Authenticator.
func (a *authenticator) Authenticate(ctx context.Context, user jid.JID, password string) (c2s.Grant, error) {
	start := time.Now()
	g, err := a.next.Authenticate(ctx, user, password)
	a.m.loginSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		a.m.loginFailures.WithLabelValues(failureReason(ctx, err)).Inc()
		return nil, err
	}
	return &grant{m: a.m, next: g}, nil
}

// failureReason is the SASL condition of err, "timeout" when the client or c2s gave up.
func failureReason(ctx context.Context, err error) string {
	if ae, ok := errors.AsType[*c2s.AuthError](err); ok && ae.Condition != "" {
		return ae.Condition
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "temporary-auth-failure"
}

type grant struct {
	m    *Metrics
	next c2s.Grant
}

// Bind implements c2s.Grant.
func (g *grant) Bind(s *c2s.Session) (c2s.SessionHandler, error) {
	h, err := g.next.Bind(s)
	if err != nil {
		return nil, err
	}
	g.m.sessions.Add(1)
	return &handler{m: g.m, next: h}, nil
}

// Release implements c2s.Grant.
func (g *grant) Release() { g.next.Release() }

type handler struct {
	m      *Metrics
	next   c2s.SessionHandler
	closed atomic.Bool
}

// HandleStanza implements c2s.SessionHandler.
func (h *handler) HandleStanza(el *xmpp.Element) {
	h.m.StanzaIn(el)
	h.next.HandleStanza(el)
}

// Closed implements c2s.SessionHandler.
func (h *handler) Closed(undelivered []*xmpp.Element) {
	if !h.closed.Swap(true) {
		h.m.sessions.Add(-1)
	}
	h.next.Closed(undelivered)
}
