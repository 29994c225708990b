// Package backendtest plays the daemon's side of Spectrum 2's backend protocol on a real
// loopback TCP connection, for tests of backends built with package backend.
package backendtest
