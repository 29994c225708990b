// Command spectrum2 is an XMPP server that gateways its users to legacy chat networks
// through Spectrum 2 backends. See README.md and docs/architecture.md.
package main

import (
	"os"

	"github.com/gospectrum/spectrum2/server"
)

func main() {
	os.Exit(server.Main(os.Args[1:], os.Stdout, os.Stderr))
}
