// Package xmpp is the one XML package of spectrum2: an element tree that keeps unknown
// extensions intact, a hardened stream reader (byte budget, depth limit, restricted XML,
// namespace checks) and a serializer that writes XMPP namespaces the way XMPP expects.
//
// encoding/xml tokenizes well but has no limits and its encoder writes namespaces badly
// for XMPP, so the reader wraps its tokenizer and the writer is our own (STYLE.md point 3).
// c2s, router and the native XMPP backend share this package.
package xmpp
