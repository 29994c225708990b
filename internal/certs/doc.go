// Package certs generates, loads and checks the TLS certificates of the client listeners.
// c2s serves them, server/config checks the configured one before the daemon starts, and
// the benchmarks generate theirs here too, so that there is one way to make a certificate.
package certs
