package c2s

import (
	"fmt"
	"runtime/debug"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// PanicCounter counts the panics c2s contained (Config.Panics). *metrics.Metrics
// implements it.
type PanicCounter interface {
	// Panicked is called once per contained panic, with component "c2s".
	Panicked(component string)
}

// panicText is the text of the stream error that ends a connection after a panic.
const panicText = "Internal error; please log in again."

// serveContained is serve with a panic contained: odd client input that makes
// negotiation panic ends this connection only, not the daemon and every other session.
func (c *conn) serveContained() {
	defer func() {
		if v := recover(); v != nil {
			c.panicked(v)
			c.finishOnce()
		}
	}()
	c.serve()
}

// panicked logs a panic of one of the connection's goroutines with its stack, counts it
// and ends the stream with internal-server-error; the caller then finishes the
// connection, which tells the router the session is over.
func (c *conn) panicked(v any) {
	c.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).
		Msg("panic in a client connection: the connection is closed")
	if p := c.srv.cfg.Panics; p != nil {
		p.Panicked("c2s")
	}
	c.closeStream(xmpp.CondInternalServerError, panicText)
}

// finishOnce finishes the connection unless finish already completed (the panic may have
// come from its last steps).
func (c *conn) finishOnce() {
	select {
	case <-c.done:
	default:
		c.finish()
	}
}
