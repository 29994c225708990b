// Package c2s is the client listener: RFC 6120 streams over STARTTLS and direct TLS
// (XEP-0368), SASL PLAIN (RFC 4616), resource binding, a hardened XML reader, per-connection
// bounded outgoing queues, XEP-0199 pings to silent clients and per-IP limits.
//
// It implements the stream side of Spectrum 2's server mode (behaviour spec section 3.2) and
// fixes the quirks of section 7 that break RFC 6120 or security: the stream's to domain is
// checked (quirk 11), bind honours the requested resource, <session/> is optional and bind
// is refused before SASL (quirk 10).
//
// Each connection is served by one goroutine through negotiation (TLS handshake, SASL,
// bind); after bind a fresh goroutine reads stanzas (so the handshake's grown stack is not
// kept by an idle session), and a writer goroutine runs only while there is something to
// write. A Session (one bound resource) is kept separate from its connection so that
// stream management (XEP-0198) can detach and re-attach it later.
//
// # Stream management and client state indication
//
// With Config.SM.Enabled, urn:xmpp:sm:3 is offered after SASL (sm*.go). A Session counts
// the stanzas it hands to the writer once <enabled/> (or <resumed/>) has been queued,
// keeps them until the client's <a h/> acknowledges them, and asks for acks every
// AckEvery stanzas or after AckAfter. When a resumable stream breaks without
// </stream:stream> (read error, reset, ping timeout) the Session is hibernated: it stays
// bound, the router keeps sending and stanzas queue (up to MaxQueue) until a <resume/>
// after a fresh SASL login of the same bare JID moves it to the new connection, or until
// ResumeTimeout. A resume on a live connection takes over and the old connection gets
// <conflict/>. When a session ends, SessionHandler.Closed gets every stanza the client
// never acknowledged, then those it never got, so the router can deliver them elsewhere.
//
// Client state indication (XEP-0352, csi.go) is offered too: while the client is
// inactive, presence updates (the latest per sender), body-less messages and room
// messages that do not mention the user's nick are held back; anything else flushes them
// first, <active/> flushes everything, and past CSIMaxHeld everything is flushed.
//
// Lock order: conn.mu before Session.mu. Server.mu (which also guards the XEP-0198
// registry of resumption ids) is taken alone.
package c2s
