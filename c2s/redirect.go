package c2s

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// condSeeOtherHost is the RFC 6120 section 4.9.3.19 stream error condition.
const condSeeOtherHost = "see-other-host"

// Redirector decides whether another host should serve a user (user affinity of package
// cluster, docs/scaling.md). It is asked once the SASL credentials name the user and before
// the Authenticator runs, so that no legacy login happens on the wrong host.
type Redirector interface {
	// Redirect returns "host:port" of the host that should serve user, connected from ip
	// (direct: over direct TLS, XEP-0368), or ok false to serve the login here.
	Redirect(user jid.JID, ip string, direct bool) (addr string, ok bool)
}

// redirect ends the stream with <see-other-host/> when the Redirector sends user elsewhere.
// It returns nil when the login goes on here.
func (c *conn) redirect(user jid.JID) error {
	r := c.srv.cfg.Redirector
	if r == nil {
		return nil
	}
	addr, ok := r.Redirect(user.Bare(), c.ip, c.direct)
	if !ok {
		return nil
	}
	c.log.Info().Str("jid", user.Bare().String()).Str("to", addr).Msg("redirected with see-other-host")
	// The condition carries the address as its text, which StreamError cannot express:
	// write the error here and let fail close the stream without another one.
	el := xmpp.New(xmpp.NSStream, "error").Append(xmpp.New(xmpp.NSStreams, condSeeOtherHost).AppendText(addr))
	if err := c.writeElement(el); err != nil {
		return err
	}
	return errEnded
}
