package feature

import "github.com/gospectrum/spectrum2/internal/xmpp"

// The hooks below let a feature refuse what a contact sends the user (a blocklist,
// XEP-0191) and follow the legacy network's own block flag. Messages are Inbound's.

// InboundPresence sees every presence a contact sends the user: a legacy contact's
// availability, probe answers and subscription requests, another user's, a raw-XML
// backend's. Room presences (MUC) are not offered. Stop drops it; nobody is told.
type InboundPresence interface {
	InboundPresence(u User, p *xmpp.Element, src Source) Verdict
}

// InboundIQ sees every IQ request (get or set) a contact sends one of the user's
// resources (a raw-XML backend relays them). A non-nil *Error is answered to the sender
// and the IQ goes no further; results and errors are not offered.
type InboundIQ interface {
	InboundIQ(u User, iq *xmpp.Element, src Source) *Error
}

// LegacyBlocks hears the legacy network's block flag of a contact (Spectrum 2's
// Buddy.blocked in a BUDDY_CHANGED from the backend): when a contact first arrives
// blocked, and whenever a backend that reports the flag changes it. jid is the
// contact's bare JID.
type LegacyBlocks interface {
	LegacyBlocked(u User, jid string, blocked bool)
}
