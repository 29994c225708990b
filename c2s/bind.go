package c2s

import (
	"crypto/rand"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// replaceWait bounds how long a new bind waits for the session it replaces to end, so
// that the router normally sees Closed for the old session before Bind for the new one.
const replaceWait = 5 * time.Second

// bindResource binds the requested resource, or a generated one (RFC 6120 section 7).
// Spec 3.2 ignored the request and always generated ten letters (quirk 10, fixed).
// A resource already bound replaces the older session, which gets <conflict/>
// (RFC 6120 section 7.7.2.2, the "override" policy).
func (c *conn) bindResource(iq *xmpp.Element) error {
	if iq.Type() != "set" {
		return c.writeReply(iqError(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "bind needs type='set'"))
	}
	res := iq.Child(xmpp.NSBind, "bind").ChildText(xmpp.NSBind, "resource")
	if res == "" {
		res = randomResource()
	}
	full, err := c.user.WithResource(res)
	if err != nil {
		return c.writeReply(iqError(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "invalid resource"))
	}
	sess := newSession(c.srv, full)
	if old := c.srv.bind(sess); old != nil {
		old.Close(xmpp.CondConflict, "replaced by a new connection with the same resource")
		old.waitEnded(replaceWait)
	}
	// The result is queued before the router sees the session, so that nothing the router
	// sends during Bind can overtake it; the session is attached only afterwards.
	sess.enqueue(xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID()).Append(
		xmpp.New(xmpp.NSBind, "bind").Append(xmpp.New(xmpp.NSBind, "jid").AppendText(full.String()))))
	grant := c.grant
	c.grant = nil
	h, err := grant.Bind(sess)
	if err != nil {
		c.srv.unbind(sess)
		c.log.Warn().Err(err).Msg("bind refused")
		_ = c.writeReply(iqError(iq, xmpp.ErrTypeCancel, xmpp.StanzaNotAllowed, ""))
		return &xmpp.StreamError{Condition: xmpp.CondNotAuthorized, Text: "the session could not be started"}
	}
	c.handler = h
	sess.handler = h
	c.setLogContext("", full.String())
	c.log.Info().Msg("resource bound")
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	if !sess.attach(c) {
		// Replaced (or closed by the router) before it was attached.
		c.closeStream(xmpp.CondConflict, "the session was replaced")
	}
	c.kick()
	return errBound
}

// iqError is the error answer to an IQ from the client; it carries no from (the server
// itself answers, RFC 6120 section 8.1.2.1).
func iqError(iq *xmpp.Element, errType, cond, text string) *xmpp.Element {
	r := xmpp.ErrorReply(iq, errType, cond, text)
	if r == nil {
		return nil
	}
	r.SetAttr("from", "")
	r.SetAttr("to", "")
	return r
}

// randomResource generates a resource part (lowercase letters and digits).
func randomResource() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [12]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "spectrum2-" + string(b[:])
}

// writeReply writes el now, if there is one.
func (c *conn) writeReply(el *xmpp.Element) error {
	if el == nil {
		return nil
	}
	return c.writeElement(el)
}
