package xmpp

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

const (
	// queueSize bounds the stanzas waiting to be written; a server that reads slower than
	// that is treated as lost rather than letting handlers block.
	queueSize    = 512
	writeTimeout = 30 * time.Second
	closeTimeout = 2 * time.Second
)

var errClosed = errors.New("xmpp: stream closed")

// conn is one negotiated client-to-server stream. Its Reader is used by one goroutine (the
// session's); writes go through a bounded queue drained by run, so sending never blocks.
type conn struct {
	nc     net.Conn
	r      *stanza.Reader
	jid    string // the full JID the server bound
	tls    bool
	mech   string // the SASL mechanism that signed in
	out    chan []byte
	closed chan struct{}
	once   sync.Once
	seq    atomic.Uint64

	mu      sync.Mutex
	pending map[string]*pendingIQ
}

// pendingIQ is a request waiting for its result; cb gets nil on timeout.
type pendingIQ struct {
	cb    func(*stanza.Element)
	timer *time.Timer
}

func newConn(nc net.Conn) *conn {
	return &conn{
		nc:      nc,
		r:       stanza.NewReader(nc, stanza.Limits{MaxStanzaBytes: 4 << 20}),
		out:     make(chan []byte, queueSize),
		closed:  make(chan struct{}),
		pending: map[string]*pendingIQ{},
	}
}

// writeNow writes synchronously; used during negotiation, before run starts.
func (c *conn) writeNow(b []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(b)
	return err
}

// run writes queued stanzas until the conn is closed.
func (c *conn) run() {
	for {
		select {
		case b := <-c.out:
			if err := c.writeNow(b); err != nil {
				c.close()
				return
			}
		case <-c.closed:
			return
		}
	}
}

// send queues el; a full queue closes the stream (the reader then reports the loss).
func (c *conn) send(el *stanza.Element) error {
	select {
	case <-c.closed:
		return errClosed
	default:
	}
	select {
	case c.out <- el.AppendXML(nil, stanza.NSClient):
		return nil
	default:
		c.close()
		return errors.New("xmpp: send queue full")
	}
}

// nextID returns a fresh stanza id.
func (c *conn) nextID() string {
	return "s2-" + strconv.FormatUint(c.seq.Add(1), 36)
}

// request sends an IQ and calls cb with the result or error, or with nil after timeout or
// when the stream ends first. cb runs on the reader goroutine or a timer's.
func (c *conn) request(iq *stanza.Element, timeout time.Duration, cb func(*stanza.Element)) {
	id := c.nextID()
	iq.SetAttr("id", id)
	p := &pendingIQ{cb: cb}
	c.mu.Lock()
	c.pending[id] = p
	p.timer = time.AfterFunc(timeout, func() {
		if c.take(id) != nil {
			cb(nil)
		}
	})
	c.mu.Unlock()
	if c.send(iq) != nil && c.take(id) != nil {
		cb(nil)
	}
}

// take removes and returns the pending request id, or nil.
func (c *conn) take(id string) *pendingIQ {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[id]
	if p != nil {
		delete(c.pending, id)
		p.timer.Stop()
	}
	return p
}

// answer hands an IQ result or error to its request; false if nobody waits for it.
func (c *conn) answer(iq *stanza.Element) bool {
	p := c.take(iq.ID())
	if p == nil {
		return false
	}
	p.cb(iq)
	return true
}

// close ends the stream at once and drops pending requests.
func (c *conn) close() {
	c.once.Do(func() {
		close(c.closed)
		c.nc.Close()
		c.mu.Lock()
		for id, p := range c.pending {
			p.timer.Stop()
			delete(c.pending, id)
		}
		c.mu.Unlock()
	})
}

// shutdown ends the stream politely (unavailable presence, </stream:stream>), then closes.
func (c *conn) shutdown() {
	select {
	case <-c.closed:
		return
	default:
	}
	c.nc.SetWriteDeadline(time.Now().Add(closeTimeout))
	c.nc.Write([]byte(`<presence type="unavailable"/></stream:stream>`))
	c.close()
}
