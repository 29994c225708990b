package c2s

import (
	"crypto/tls"
	"encoding/xml"
	"errors"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// errRestart: the stream restarts (after STARTTLS or SASL success, RFC 6120 sections
// 5.4.3.3 and 6.4.6); errBound: a resource is bound and negotiation is over.
var (
	errRestart = errors.New("c2s: stream restart")
	errBound   = errors.New("c2s: resource bound")
)

// negotiate runs stream header, features, STARTTLS, SASL and bind until a resource is
// bound. An error ends the connection (fail maps it to a stream error).
func (c *conn) negotiate() error {
	for {
		h, err := c.rd.StreamHeader()
		if err != nil {
			return err
		}
		if err := c.checkHeader(h); err != nil {
			return err
		}
		if err := c.sendHeader(h); err != nil {
			return err
		}
		if c.refused.cond != "" {
			return &xmpp.StreamError{Condition: c.refused.cond, Text: c.refused.text}
		}
		err = c.negotiateStream()
		switch {
		case errors.Is(err, errBound):
			c.setReadDeadline(noDeadline)
			c.srv.limits.bound()
			c.negotiating = false
			now := time.Now()
			c.bucket = newTokenBucket(c.srv.cfg.StanzasPerSecond, c.srv.cfg.StanzaBurst, now)
			c.byteBucket = newTokenBucket(c.srv.cfg.BytesPerSecond, c.srv.cfg.ByteBurst, now)
			return nil
		case !errors.Is(err, errRestart):
			return err
		}
	}
}

// checkHeader enforces RFC 6120 section 4.7: the to domain must be ours (fixing quirk 11
// of spec section 7, which accepted any domain) and the version must be 1.x.
func (c *conn) checkHeader(h xmpp.StreamHeader) error {
	if h.To != "" {
		to, err := jid.Parse(h.To)
		if err != nil || to.Localpart() != "" || to.Resourcepart() != "" ||
			!strings.EqualFold(to.Domainpart(), c.srv.cfg.Domain) {
			return &xmpp.StreamError{Condition: xmpp.CondHostUnknown, Text: "this server does not serve " + h.To}
		}
	}
	major, _, _ := strings.Cut(h.Version, ".")
	if major != "1" {
		return &xmpp.StreamError{Condition: xmpp.CondUnsupportedVersion, Text: "only XMPP 1.0 is supported"}
	}
	return nil
}

// sendHeader answers the client's header with ours (a fresh id each time, RFC 6120
// section 4.7.3) and the features of the current stage.
func (c *conn) sendHeader(h xmpp.StreamHeader) error {
	id := newStreamID()
	c.setLogContext(id, "")
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ended {
		return errEnded
	}
	buf := c.appendHeader(nil, h, id)
	if c.refused.cond == "" { // a refused connection gets its stream error instead
		buf = c.features().AppendXML(buf, xmpp.NSClient)
	}
	return c.writeLocked(buf)
}

// appendHeader appends our stream header; wmu is held.
func (c *conn) appendHeader(buf []byte, h xmpp.StreamHeader, id string) []byte {
	c.headerSent = true
	lang := h.Lang
	if lang == "" {
		lang = "en"
	}
	buf = append(buf, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='`...)
	buf = append(buf, id...)
	buf = append(buf, `' from='`...)
	buf = appendAttr(buf, c.srv.cfg.Domain)
	if h.From != "" {
		buf = append(buf, `' to='`...)
		buf = appendAttr(buf, h.From)
	}
	buf = append(buf, `' version='1.0' xml:lang='`...)
	buf = appendAttr(buf, lang)
	return append(buf, `'>`...)
}

func appendAttr(buf []byte, s string) []byte {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return append(buf, b.String()...)
}

// features lists what the current stage offers (RFC 6120 section 4.3.2): STARTTLS first,
// SASL PLAIN only once TLS is on when encryption is required (RFC 6120 section 13.8),
// then bind and the optional legacy session (RFC 6121 appendix E; spec 3.2 made it
// mandatory, quirk 10) and roster versioning (RFC 6121 2.6.1: the router versions every
// roster whatever the backend, so the feature is static; Spectrum 2 does not offer it).
func (c *conn) features() *xmpp.Element {
	f := xmpp.New(xmpp.NSStream, "features")
	if c.authed {
		f.Append(xmpp.New(xmpp.NSBind, "bind"),
			xmpp.New(xmpp.NSSession, "session").Append(xmpp.New(xmpp.NSSession, "optional")),
			xmpp.New(xmpp.NSRosterVer, "ver"))
		if c.srv.cfg.SM.Enabled {
			f.Append(xmpp.New(xmpp.NSSM, "sm")) // XEP-0198 section 2
		}
		f.Append(xmpp.New(xmpp.NSCSI, "csi")) // XEP-0352 section 3
		if sf := c.srv.cfg.StreamFeatures; sf != nil {
			f.Append(sf()...) // the router's and the server features' (Config.StreamFeatures)
		}
		return f
	}
	if !c.tlsOn {
		st := xmpp.New(xmpp.NSTLS, "starttls")
		if c.srv.cfg.RequireEncryption {
			st.Append(xmpp.New(xmpp.NSTLS, "required"))
		}
		f.Append(st)
	}
	if c.tlsOn || !c.srv.cfg.RequireEncryption {
		f.Append(xmpp.New(xmpp.NSSASL, "mechanisms").Append(
			xmpp.New(xmpp.NSSASL, "mechanism").AppendText("PLAIN")))
	}
	return f
}

// negotiateStream handles the elements of one stream until it restarts or binds.
func (c *conn) negotiateStream() error {
	for {
		el, err := c.rd.Next()
		if err != nil {
			return err
		}
		if err := c.negotiationElement(el); err != nil {
			return err
		}
	}
}

func (c *conn) negotiationElement(el *xmpp.Element) error {
	switch {
	case el.Is(xmpp.NSTLS, "starttls"):
		return c.startTLS()
	case el.Is(xmpp.NSSASL, "auth"):
		return c.sasl(el)
	case el.Is(xmpp.NSSASL, "abort"):
		return c.saslFailure("aborted", "")
	case el.Space == xmpp.NSSM:
		return c.smNegotiation(el)
	case el.Space == xmpp.NSCSI && c.authed:
		return nil // no session to hold stanzas for yet
	case el.Space == xmpp.NSClient && (el.Local == "iq" || el.Local == "message" || el.Local == "presence"):
		if !c.authed {
			// Spec 3.2 QUIRK (security) fixed: nothing before SASL success (quirk 10).
			return &xmpp.StreamError{Condition: xmpp.CondNotAuthorized, Text: "authenticate first"}
		}
		if el.Local == "iq" && el.Child(xmpp.NSBind, "bind") != nil {
			return c.bindResource(el)
		}
		return &xmpp.StreamError{Condition: xmpp.CondNotAuthorized, Text: "bind a resource first"}
	}
	return &xmpp.StreamError{Condition: xmpp.CondUnsupportedStanzaType, Text: "unexpected <" + el.Local + "/> during negotiation"}
}

// startTLS upgrades the connection (RFC 6120 section 5.4). Bytes pipelined behind
// <starttls/> were sent in clear text and could be injected: they are refused.
func (c *conn) startTLS() error {
	if c.tlsOn || c.authed {
		return &xmpp.StreamError{Condition: xmpp.CondPolicyViolation, Text: "TLS cannot be negotiated now"}
	}
	if !c.rd.DiscardBufferedSpace() {
		return &xmpp.StreamError{Condition: xmpp.CondPolicyViolation, Text: "data sent after <starttls/> before the TLS handshake"}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ended {
		return errEnded
	}
	if err := c.writeLocked(xmpp.New(xmpp.NSTLS, "proceed").AppendXML(nil, xmpp.NSClient)); err != nil {
		return err
	}
	c.rec = newRecordConn(c.tcp, c.srv.recordBufs)
	tc := tls.Server(c.rec, c.srv.tlsConf)
	c.setConn(tc)
	_ = c.tcp.SetDeadline(c.negDL)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.canWrite = false
		return err
	}
	_ = c.tcp.SetWriteDeadline(noDeadline)
	c.tlsOn = true
	c.tin = &tlsInput{Conn: tc}
	c.rd.Reset(c.tin)
	return errRestart
}
