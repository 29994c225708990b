package c2s

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// errEnded: the stream was already closed on our side, nothing more is written.
var errEnded = errors.New("c2s: stream already closed")

// conn is one client TCP connection. Its reader side (negotiation, then the stanza read
// loop) belongs to one goroutine at a time; writes are serialised by wmu.
type conn struct {
	srv    *Server
	ctx    context.Context // &life: ends when the connection closes (or the server stops)
	life   connCtx
	tcp    net.Conn
	ip     string
	src    string // ip's prefix, the unit of the per-source limits (iplimits.go)
	direct bool
	// log adds the remote address, the current stream id and, once known, the JID to each
	// event; setLogContext updates them so that keys are never repeated.
	log connLog

	// Reader-goroutine state.
	rd          *xmpp.Reader
	rec         *recordConn     // under crypto/tls once TLS starts (idle.go)
	tin         *tlsInput       // what rd reads once TLS is on
	raw         syscall.RawConn // tcp's, for waiting on the socket itself; nil if it has none
	tlsOn       bool
	refused     refusal     // over a connection limit: refused after the stream header
	negotiating bool        // counted as negotiating by the limits: not bound yet
	bucket      tokenBucket // the stanza rate limit (budget.go)
	byteBucket  tokenBucket // the byte rate limit (budget.go)
	negDL       time.Time
	authed      bool
	user        jid.JID // bare JID after SASL
	grant       Grant   // until Bind or Release
	failures    int     // failed SASL attempts
	saslUser    string  // bare JID of the SASL attempt under way, for a failure's log line
	handler     SessionHandler
	pingID      string
	pingCount   int
	peerEnded   bool // the client sent </stream:stream>: nothing is left to wait for
	// parked is the idle poller's id for the connection while its reader is parked there
	// (idlepoll_linux.go), 0 otherwise; any goroutine reads it to wake the reader.
	parked atomic.Uint64

	wmu        sync.Mutex // serialises writes; guards the fields below
	ended      bool       // our </stream:stream> was written (or cannot be)
	headerSent bool
	canWrite   bool // false while a direct TLS handshake has not completed

	mu          sync.Mutex // guards the fields below; taken before Session.mu
	nc          net.Conn   // tcp, or the TLS connection on top of it
	sess        *Session
	writing     bool
	closing     bool
	cond, text  string
	appCond     *xmpp.Element // application-specific stream error condition, or nil
	closeBy     time.Time     // read deadline after our end of the stream
	writeBy     time.Time     // write deadline once closing: a stuck writer gives up
	trailerDone chan struct{}
	done        chan struct{} // closed when the connection is fully finished
}

func newConn(ctx context.Context, s *Server, nc net.Conn, direct bool) *conn {
	c := &conn{
		srv: s, tcp: nc, nc: nc, ip: hostOf(nc.RemoteAddr()), direct: direct,
		canWrite: !direct, trailerDone: make(chan struct{}), done: make(chan struct{}),
		raw: rawConnOf(nc),
	}
	c.life.init(ctx)
	c.ctx = &c.life
	c.log = connLog{base: &s.log, remote: nc.RemoteAddr().String()}
	return c
}

// setLogContext replaces the stream id or the JID in the connection's log context (an
// empty argument keeps the current value). A stream restart gets a fresh id (RFC 6120
// 4.7.3), and SASL, bind and resumption refine the JID.
func (c *conn) setLogContext(stream, jid string) {
	if stream != "" {
		c.log.stream = stream
	}
	if jid != "" {
		c.log.jidStr = jid
	}
}

// serve runs the negotiation; after bind it hands reading to a fresh goroutine, so that
// the stack grown by the TLS handshake is not kept by an idle session (PERFORMANCE.md).
func (c *conn) serve() {
	c.src = sourceOf(c.ip, c.srv.cfg.IPv4Prefix, c.srv.cfg.IPv6Prefix)
	c.refused, c.negotiating = c.srv.limits.connect(c.src), true
	c.negDL = time.Now().Add(c.srv.cfg.NegotiationTimeout)
	if c.refused.cond != "" {
		c.negDL = time.Now().Add(refuseTimeout) // it only has its stream header to send
	}
	c.setReadDeadline(c.negDL)
	if err := c.startDirectTLS(); err != nil {
		c.log.Debug().Err(err).Msg("TLS handshake failed")
		c.finish()
		return
	}
	if err := c.negotiate(); err != nil {
		c.fail(err)
		c.finish()
		return
	}
	go c.readLoop(readState{})
}

func (c *conn) startDirectTLS() error {
	if !c.direct {
		c.rd = xmpp.NewReader(c.tcp, c.srv.preauthLimits())
		return nil
	}
	c.rec = newRecordConn(c.tcp, c.srv.recordBufs)
	tc := tls.Server(c.rec, c.srv.directTC)
	c.setConn(tc)
	_ = c.tcp.SetWriteDeadline(c.negDL)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return err
	}
	c.wmu.Lock()
	c.canWrite = true
	c.wmu.Unlock()
	c.tlsOn = true
	c.tin = &tlsInput{Conn: tc}
	c.rd = xmpp.NewReader(c.tin, c.srv.preauthLimits())
	return nil
}

func (c *conn) setConn(nc net.Conn) {
	c.mu.Lock()
	c.nc = nc
	c.mu.Unlock()
}

// setReadDeadline sets the read deadline, never later than the one set when our end of
// the stream was written (so that a closing connection does not wait for a ping interval).
func (c *conn) setReadDeadline(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closeBy.IsZero() && c.closeBy.Before(t) {
		t = c.closeBy
	}
	_ = c.nc.SetReadDeadline(t)
}

// readsEnding reports whether endReads has bounded the wait for the client's end.
func (c *conn) readsEnding() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closeBy.IsZero()
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// writeRaw writes b now (negotiation replies, which must precede the next step).
func (c *conn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ended || !c.canWrite {
		return errEnded
	}
	return c.writeLocked(b)
}

func (c *conn) writeElement(el *xmpp.Element) error {
	return c.writeRaw(el.AppendXML(nil, xmpp.NSClient))
}

func (c *conn) writeLocked(b []byte) error {
	c.mu.Lock()
	nc, d := c.nc, time.Now().Add(writeTimeout)
	if !c.writeBy.IsZero() && c.writeBy.Before(d) {
		d = c.writeBy
	}
	_ = nc.SetWriteDeadline(d) // under mu: closeStream must not be overtaken
	c.mu.Unlock()
	if _, err := nc.Write(b); err != nil {
		// A failed write leaves TLS unusable: nothing more can be written.
		c.ended = true
		_ = c.tcp.Close()
		c.srv.idle.wakeConn(c) // a parked reader would not see the closed socket
		return err
	}
	return nil
}

func (c *conn) currentConn() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

// closeStream ends the stream from any goroutine: queued stanzas are written, then the
// stream error (if condition is not empty) and </stream:stream>, then TLS close_notify.
// Only the first call counts.
func (c *conn) closeStream(condition, text string) {
	c.closeStreamWith(condition, text, nil)
}

// closeStreamWith is closeStream with an application-specific condition element (app may
// be nil), such as XEP-0198's handled-count-too-high.
func (c *conn) closeStreamWith(condition, text string, app *xmpp.Element) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing, c.cond, c.text, c.appCond = true, condition, text, app
	// What is queued gets closeGrace to reach the client; a write stuck on a client that
	// does not read is cut short, so that closing (and shutdown) does not wait long.
	c.writeBy = time.Now().Add(closeGrace)
	_ = c.tcp.SetWriteDeadline(c.writeBy)
	sess := c.sess
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if sess != nil && !sess.canHibernate(condition) {
		sess.markClosed() // a broken resumable session keeps queueing (XEP-0198)
	}
	c.life.cancel() // a pending Authenticate gives up
	if start {
		go c.writeLoop()
	}
}

// kick starts the writer unless it runs already.
func (c *conn) kick() {
	c.mu.Lock()
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// writeLoop writes what is queued, then exits: no goroutine is kept for an idle session.
func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		var batch []*xmpp.Element
		sess, n := c.sess, 0
		if sess != nil {
			batch, n = sess.take(c)
		}
		if len(batch) == 0 {
			final, cond, text, app := c.closing, c.cond, c.text, c.appCond
			if !final {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			c.writeTrailer(cond, text, app)
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		buf, err := c.serialise(batch)
		if err == nil {
			err = c.writeRaw(buf)
		}
		sess.written(batch, n, err)
	}
}

// writeTrailer writes the end of our stream once and shuts down our side of the
// connection; the reader then sees the client's end (or the grace deadline) and finishes.
func (c *conn) writeTrailer(cond, text string, app *xmpp.Element) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.ended || !c.canWrite {
		c.ended = true
		c.endReads()
		return
	}
	var buf []byte
	if !c.headerSent {
		buf = c.appendHeader(buf, xmpp.StreamHeader{}, newStreamID())
	}
	if cond != "" {
		se := xmpp.StreamErrorElement(cond, text)
		if app != nil {
			se.Append(app)
		}
		buf = se.AppendXML(buf, xmpp.NSClient)
	}
	buf = append(buf, "</stream:stream>"...)
	if c.writeLocked(buf) == nil {
		if tc, ok := c.currentConn().(*tls.Conn); ok {
			_ = tc.CloseWrite() // close_notify
		}
		if tcp, ok := c.tcp.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}
	c.ended = true
	c.endReads()
}

// endReads bounds the wait for the client's end of the stream and releases finish.
func (c *conn) endReads() {
	c.mu.Lock()
	c.closeBy = time.Now().Add(closeGrace)
	_ = c.nc.SetReadDeadline(c.closeBy)
	c.mu.Unlock()
	c.srv.idle.wakeConn(c) // a parked reader waits for the old deadline otherwise
	select {
	case <-c.trailerDone:
	default:
		close(c.trailerDone)
	}
}

// fail closes the stream for the error that ended reading or negotiation.
func (c *conn) fail(err error) {
	var se *xmpp.StreamError
	var sme *smStreamError
	switch {
	case errors.As(err, &sme):
		c.closeStreamWith(sme.Condition, sme.Text, sme.app)
	case errors.As(err, &se):
		c.closeStream(se.Condition, se.Text)
	case isTimeout(err) && !c.isClosing():
		c.closeStream(xmpp.CondConnectionTimeout, "")
	default:
		c.peerEnded = errors.Is(err, xmpp.ErrStreamClosed)
		if !c.peerEnded && !errors.Is(err, io.EOF) && !errors.Is(err, errEnded) {
			c.log.Debug().Err(err).Msg("connection ended")
		}
		c.closeStream("", "")
	}
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// finish runs on the reader goroutine when it stops: it waits for our end of the stream,
// gives the client a moment to end its own, closes the socket and tells the router.
func (c *conn) finish() {
	c.closeStream("", "")
	c.mu.Lock()
	cond, text := c.cond, c.text
	c.mu.Unlock()
	c.log.Debug().Str("condition", cond).Str("text", text).Msg("connection closed")
	<-c.trailerDone
	if !c.peerEnded {
		// Unread input would make close reset the connection and could destroy our
		// stream error in flight: read until the client closes, briefly.
		c.setReadDeadline(time.Now().Add(closeGrace))
		_, _ = io.CopyN(io.Discard, c.currentConn(), 64<<10)
	}
	_ = c.currentConn().Close()
	_ = c.tcp.Close()
	c.srv.limits.disconnect(c.src, c.negotiating)
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	switch {
	case sess != nil:
		c.endSession(sess, cond)
	case c.grant != nil:
		c.grant.Release()
		c.grant = nil
	}
	c.life.cancel()
	close(c.done)
	c.srv.forget(c)
}

// endSession ends the session of a finished connection, or hibernates it when the client
// can resume it (XEP-0198 section 5); a session resumed elsewhere is no longer ours.
func (c *conn) endSession(sess *Session, cond string) {
	switch {
	case !sess.ownedBy(c):
	case !c.peerEnded && sess.canHibernate(cond) && sess.hibernate(c):
		c.log.Info().Msg("session hibernated")
	default:
		sess.finish()
	}
}

func newStreamID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
