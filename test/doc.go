// Package test holds the end-to-end tests: they build the real spectrum2 binary, start it
// from a config written by the test on loopback, and drive it with real XMPP clients
// (github.com/xmppo/go-xmpp) over STARTTLS and direct TLS, with the demo network as the
// legacy side. Later issues add real IRC and XMPP servers (ngircd, Prosody) started here.
package test
