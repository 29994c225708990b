package xmpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// account is who to sign in as: the parts of the legacy JID and the password.
type account struct {
	local, domain, resource, password string
}

// connect signs acct in: TCP (SRV), TLS (STARTTLS unless direct), SASL, bind (RFC 6120).
// The whole negotiation is bounded by cfg.ConnectTimeout and ctx.
func connect(ctx context.Context, cfg Config, acct account) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	nc, err := dial(ctx, cfg, acct.domain)
	if err != nil {
		return nil, err
	}
	c := newConn(nc)
	_, c.tls = nc.(*tls.Conn)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	err = c.negotiate(ctx, cfg, acct)
	timedOut := !stop()
	if err == nil && !timedOut {
		c.nc.SetDeadline(time.Time{})
		return c, nil
	}
	c.nc.Close()
	if err == nil || timedOut && !isLoginError(err) {
		err = fmt.Errorf("login to %s: %w", acct.domain, errors.Join(ctx.Err(), err))
	}
	return nil, err
}

func isLoginError(err error) bool {
	var le *loginError
	return errors.As(err, &le)
}

func (c *conn) negotiate(ctx context.Context, cfg Config, acct account) error {
	features, err := c.open(acct.domain)
	if err != nil {
		return err
	}
	if !c.tls {
		if features.Child(stanza.NSTLS, "starttls") == nil {
			return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_NO_SSL_SUPPORT,
				text: "the server does not offer STARTTLS"}
		}
		if features, err = c.starttls(ctx, cfg, acct.domain); err != nil {
			return err
		}
	}
	if err := c.authenticate(features, acct); err != nil {
		return err
	}
	c.r.Restart()
	if features, err = c.open(acct.domain); err != nil {
		return err
	}
	return c.bind(features, acct.resource)
}

// open sends our stream header and reads the server's header and features.
func (c *conn) open(domain string) (*stanza.Element, error) {
	hdr := `<?xml version="1.0"?><stream:stream xmlns="jabber:client" ` +
		`xmlns:stream="http://etherx.jabber.org/streams" version="1.0" xml:lang="en" to="` +
		domain + `">` // parseAccount allows no quote or markup in domain
	if err := c.writeNow([]byte(hdr)); err != nil {
		return nil, err
	}
	if _, err := c.r.StreamHeader(); err != nil {
		return nil, err
	}
	el, err := c.next()
	if err != nil {
		return nil, err
	}
	if !el.Is(stanza.NSStream, "features") {
		return nil, fmt.Errorf("expected stream features, got <%s>", el.Local)
	}
	return el, nil
}

// next reads the next element; a <stream:error/> becomes a *stanza.StreamError.
func (c *conn) next() (*stanza.Element, error) {
	el, err := c.r.Next()
	if err != nil {
		return nil, err
	}
	if el.Is(stanza.NSStream, "error") {
		return nil, streamError(el)
	}
	return el, nil
}

func streamError(el *stanza.Element) *stanza.StreamError {
	e := &stanza.StreamError{Condition: stanza.CondUndefinedCondition}
	for _, ch := range el.Children() {
		if ch.Space != stanza.NSStreams {
			continue
		}
		if ch.Local == "text" {
			e.Text = ch.Text()
		} else {
			e.Condition = ch.Local
		}
	}
	return e
}

// starttls upgrades the stream (RFC 6120 section 5) and returns the new features.
func (c *conn) starttls(ctx context.Context, cfg Config, domain string) (*stanza.Element, error) {
	if err := c.writeNow([]byte(`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`)); err != nil {
		return nil, err
	}
	el, err := c.next()
	if err != nil {
		return nil, err
	}
	if !el.Is(stanza.NSTLS, "proceed") {
		return nil, &loginError{code: pb.ConnectionError_CONNECTION_ERROR_ENCRYPTION_ERROR,
			text: "the server refused STARTTLS"}
	}
	if !c.r.DiscardBufferedSpace() {
		return nil, errors.New("data after <proceed/> before the TLS handshake")
	}
	tc := tls.Client(c.nc, tlsConfig(cfg, domain))
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, tlsFailure(err)
	}
	c.nc, c.tls = tc, true
	c.r.Reset(tc)
	return c.open(domain)
}

// bind binds the resource (RFC 6120 section 7) and, where a server still requires it,
// establishes the legacy session (RFC 3921).
func (c *conn) bind(features *stanza.Element, resource string) error {
	if features.Child(stanza.NSBind, "bind") == nil {
		return errors.New("the server offers no resource binding")
	}
	iq := stanza.New(stanza.NSClient, "iq", "type", "set", "id", "bind").Append(
		stanza.New(stanza.NSBind, "bind").Append(stanza.New(stanza.NSBind, "resource").AppendText(resource)))
	reply, err := c.roundTrip(iq)
	if err != nil {
		return err
	}
	if reply.Type() != "result" {
		return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_NAME_IN_USE,
			text: "resource binding failed: " + stanzaErrorText(reply)}
	}
	c.jid = reply.Child(stanza.NSBind, "bind").ChildText(stanza.NSBind, "jid")
	if c.jid == "" {
		return errors.New("resource binding gave no JID")
	}
	if s := features.Child(stanza.NSSession, "session"); s != nil && s.Child("", "optional") == nil {
		iq = stanza.New(stanza.NSClient, "iq", "type", "set", "id", "session").Append(
			stanza.New(stanza.NSSession, "session"))
		if _, err := c.roundTrip(iq); err != nil {
			return err
		}
	}
	return nil
}

// roundTrip writes an IQ during negotiation and reads until its answer arrives.
func (c *conn) roundTrip(iq *stanza.Element) (*stanza.Element, error) {
	if err := c.writeNow(iq.AppendXML(nil, stanza.NSClient)); err != nil {
		return nil, err
	}
	for {
		el, err := c.next()
		if err != nil {
			return nil, err
		}
		if el.Is(stanza.NSClient, "iq") && el.ID() == iq.ID() {
			return el, nil
		}
	}
}

// stanzaErrorText describes the <error/> of a stanza: its text, else its condition.
func stanzaErrorText(el *stanza.Element) string {
	e := el.Child(stanza.NSClient, "error")
	if e == nil {
		return "unknown error"
	}
	if t := e.ChildText(stanza.NSStanzas, "text"); t != "" {
		return t
	}
	for _, ch := range e.Children() {
		if ch.Space == stanza.NSStanzas {
			return ch.Local
		}
	}
	return "unknown error"
}
