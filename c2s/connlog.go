package c2s

import "github.com/rs/zerolog"

// connLog is a connection's log context kept as plain strings: each event gets the
// remote address, the stream id and the JID when it is built. A zerolog child logger per
// connection would hold its own context buffer (about 0.5 KB, twice with the base one)
// for every idle session, for lines that are seldom written.
type connLog struct {
	base           *zerolog.Logger // the server's logger
	remote         string
	stream, jidStr string
}

// Debug starts a debug event with the connection's context (nil when disabled).
func (l *connLog) Debug() *zerolog.Event { return l.with(l.base.Debug()) }

// Info starts an info event with the connection's context (nil when disabled).
func (l *connLog) Info() *zerolog.Event { return l.with(l.base.Info()) }

// Warn starts a warning event with the connection's context (nil when disabled).
func (l *connLog) Warn() *zerolog.Event { return l.with(l.base.Warn()) }

// Error starts an error event with the connection's context (nil when disabled).
func (l *connLog) Error() *zerolog.Event { return l.with(l.base.Error()) }

// with adds the context fields in the order the child logger used to write them.
func (l *connLog) with(e *zerolog.Event) *zerolog.Event {
	if e == nil {
		return nil
	}
	e = e.Str("remote", l.remote)
	if l.stream != "" {
		e = e.Str("stream", l.stream)
	}
	if l.jidStr != "" {
		e = e.Str("jid", l.jidStr)
	}
	return e
}
