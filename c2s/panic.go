package c2s

import (
	"errors"
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

// errSerialise is the write error of a batch whose serialisation panicked: the batch is
// handled as one that could not be written (kept for redelivery), and the stream ends.
var errSerialise = errors.New("c2s: a stanza could not be serialised")

// serialise writes batch as XML on the writer goroutine with a panic contained: the
// connection ends with internal-server-error, the daemon and other sessions go on.
func (c *conn) serialise(batch []*xmpp.Element) (buf []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			c.panicked(v)
			buf, err = nil, errSerialise
		}
	}()
	for _, el := range batch {
		buf = c.srv.appendStanza(buf, el)
	}
	return buf, nil
}

func appendClientStanza(buf []byte, el *xmpp.Element) []byte { return el.AppendXML(buf, xmpp.NSClient) }
