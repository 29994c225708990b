// Package allow decides which legacy servers the native backends may connect to for their
// users: service.allowed_servers. Spectrum 2 has the option too, as the list of XMPP domains
// allowed to register in gateway mode (spec 4.2); in server mode, where users are always on
// the gateway's own domain, it has no use there, so here it names the legacy servers users
// may make the gateway reach.
//
// Without this, anyone who can reach the client port could make the daemon connect to any
// host before a password is checked, loopback and private networks included: an open proxy
// and a port scanner. A List answers two questions: may a user name this server (Names),
// and may this address be dialed for it (Dialable, enforced by Control in a net.Dialer, so
// that it sees the address actually connected to, after SRV and DNS resolution, which also
// defeats DNS rebinding).
package allow
