package test

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// The ngircd starter and the raw IRC client are shared with the backend tests.
type (
	ircd    = testsrv.IRCd
	ircPeer = testsrv.IRCPeer
)

var connectPeer = testsrv.ConnectIRCPeer

// startIRCd starts ngircd, with a TLS port too when withTLS.
func startIRCd(t testing.TB, withTLS bool) *ircd {
	return testsrv.StartIRCd(t, testsrv.IRCdOptions{TLS: withTLS})
}
