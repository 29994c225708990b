// Package blocking is XEP-0191 blocking command, a server feature on the router's seam
// (router/feature): the user's blocklist (bare, full and domain JIDs) is kept per user in
// a store.BlockStore, bounded by Config.MaxItems, and cached on the user's actor. The
// server advertises urn:xmpp:blocking and answers the blocklist get, block, unblock and
// unblock-all, with a push to every resource that asked for the blocklist.
//
// A blocked JID's messages, presences and IQs do not reach the user (an IQ request is
// answered service-unavailable, the rest is dropped unanswered, XEP-0191 section 3.4), and
// a message the user sends to it is answered not-acceptable with <blocked/> from
// urn:xmpp:blocking:errors. A blocked legacy contact is also blocked on the legacy network
// (Spectrum 2's block toggle, for backends that support it), and a contact the backend
// reports blocked joins the blocklist; one it reports unblocked leaves it.
package blocking
