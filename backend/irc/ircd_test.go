package irc_test

import "github.com/gospectrum/spectrum2/internal/testsrv"

// The ngircd starter and the raw IRC client are shared with the end-to-end tests.
type (
	ircd        = testsrv.IRCd
	ircdOptions = testsrv.IRCdOptions
	ircPeer     = testsrv.IRCPeer
)

var (
	startIRCd   = testsrv.StartIRCd
	connectPeer = testsrv.ConnectIRCPeer
	freePort    = testsrv.FreePort
)
