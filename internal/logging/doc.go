// Package logging builds the daemon's zerolog.Logger from the [logging] options: a level and a
// format. "auto" writes a human console format when the output is a terminal and JSON lines
// otherwise, so `make run` is readable and a service manager's journal is machine-parsable.
//
// The package keeps no state: it returns a logger, and every component derives its own child
// logger from it (component=c2s, ...).
package logging
