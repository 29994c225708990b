package c2s

import (
	"context"
	"sync"
	"time"
)

// connCtx is a connection's lifetime as a context: it ends when the connection closes
// (closeStream, finish) and carries the server context's values. Server.Run ends every
// connection when its own context ends, so deriving from that context is not needed; a
// context.WithCancel child would keep, for every idle session, a cancelCtx, an entry in
// the server context's children and a children map of its own left behind by the TLS
// handshake and the login (each derives a short-lived context from the connection's).
type connCtx struct {
	parent context.Context // for Value only
	once   sync.Once
	done   chan struct{}
}

func (l *connCtx) init(parent context.Context) {
	l.parent, l.done = parent, make(chan struct{})
}

// cancel ends the context; later calls do nothing.
func (l *connCtx) cancel() { l.once.Do(func() { close(l.done) }) }

// Deadline reports none: a connection's deadlines are socket deadlines.
func (l *connCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed when the connection closes.
func (l *connCtx) Done() <-chan struct{} { return l.done }

// Err is context.Canceled once the connection closed.
func (l *connCtx) Err() error {
	select {
	case <-l.done:
		return context.Canceled
	default:
		return nil
	}
}

// Value returns the server context's value for key.
func (l *connCtx) Value(key any) any { return l.parent.Value(key) }
