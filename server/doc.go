// Package server is the command line and the daemon of spectrum2: it loads the
// configuration, builds c2s, router and pluginserver, wires them together through the
// interfaces each declares, and runs them under one errgroup until a signal ends them.
package server
