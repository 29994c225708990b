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
package c2s
