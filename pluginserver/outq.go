package pluginserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gospectrum/spectrum2/protocol"
)

// ErrBackendBusy is returned (wrapped) by Send and Login when the backend's outbound
// queue is full: the backend takes frames more slowly than they come, or not at all. The
// frame was not queued; the router bounces the stanza with resource-constraint (wait).
var ErrBackendBusy = errors.New("pluginserver: the backend's outbound queue is full")

// Defaults of the outbound queue bounds (Config.QueueFrames, Config.QueueBytes).
const (
	DefaultQueueFrames = 4096
	DefaultQueueBytes  = 8 << 20
)

// Control frames (LOGIN, LOGOUT, PING, EXIT) may go past the bounds by this much, so
// that a burst of stanzas cannot keep a LOGOUT or a keepalive PING off the wire; they
// are few and small.
const (
	controlFrames = 1024
	controlBytes  = 256 << 10
)

// writeChunk is the most the writer hands the kernel in one write: each write has its own
// deadline, so the stall timeout measures how long the backend took no bytes at all,
// not how long a large batch took.
const writeChunk = 64 << 10

// outq is a backend connection's outbound queue: Send, Login, Logout, the keepalive and
// the fence append encoded frames without ever waiting, and the connection's writer
// goroutine (writeLoop) drains it. Its order is the order on the wire, which the fence
// relies on. Frames and bytes are bounded, the batch being written included. Guarded by
// Server.mu.
type outq struct {
	buf      []byte // encoded frames not yet taken by the writer
	frames   int    // frames in buf and in the batch being written
	bytes    int    // bytes in buf and in the batch being written
	inFrames int    // frames of the batch being written
	inBytes  int
	spare    []byte        // a small written batch, reused for the next one
	wake     chan struct{} // buffered 1: something was queued
	done     chan struct{} // closed by close: the connection is over
	closed   bool

	maxFrames, maxBytes int
}

func newOutq(maxFrames, maxBytes int) *outq {
	return &outq{
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		maxFrames: maxFrames, maxBytes: maxBytes,
	}
}

// push appends f. A control frame may use the reserve past the bounds. It fails with
// ErrNoBackend once the queue is closed and with ErrBackendBusy when f does not fit.
func (q *outq) push(f protocol.Frame, control bool) error {
	if q.closed {
		return ErrNoBackend
	}
	maxFrames, maxBytes := q.maxFrames, q.maxBytes
	if control {
		maxFrames, maxBytes = maxFrames+controlFrames, maxBytes+controlBytes
	}
	n := frameSize(f)
	if q.frames >= maxFrames || q.bytes+n > maxBytes {
		return fmt.Errorf("%w (%d frames, %d bytes queued)", ErrBackendBusy, q.frames, q.bytes)
	}
	if q.buf == nil {
		q.buf, q.spare = q.spare, nil
	}
	q.buf = appendFrame(q.buf, f)
	q.frames++
	q.bytes += n
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// take hands the queued frames to the writer; nil when there are none.
func (q *outq) take() []byte {
	if len(q.buf) == 0 {
		return nil
	}
	out := q.buf
	q.buf = nil
	q.inBytes = len(out)
	q.inFrames = q.frames
	return out
}

// written releases the batch the writer took, keeping a small one for reuse.
func (q *outq) written(batch []byte) {
	q.frames -= q.inFrames
	q.bytes -= q.inBytes
	q.inFrames, q.inBytes = 0, 0
	if cap(batch) <= writeChunk {
		q.spare = batch[:0]
	}
}

// close ends the queue: nothing more is accepted and what is queued is dropped (fenced
// frames among it are handed back from the fence, lifecycle.go). Idempotent.
func (q *outq) close() {
	if q.closed {
		return
	}
	q.closed = true
	q.buf, q.spare = nil, nil
	close(q.done)
}

// frameSize is the length of f on the wire, as appendFrame writes it.
func frameSize(f protocol.Frame) int {
	n := 4 + protowire.SizeTag(1) + protowire.SizeVarint(uint64(int64(f.Type)))
	if f.HasPayload || len(f.Payload) > 0 {
		n += protowire.SizeTag(2) + protowire.SizeBytes(len(f.Payload))
	}
	return n
}

// appendFrame appends f with its 4-byte length prefix (spec 1.1).
func appendFrame(b []byte, f protocol.Frame) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = protocol.AppendWrapper(b, f)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// queueLocked appends f to b's queue; s.mu is held. Only a backend that is ready (or
// retiring, for EXIT and LOGOUT) has a queue.
func (s *Server) queueLocked(b *backend, f protocol.Frame, control bool) error {
	if b.q == nil || b.state == stateDead {
		return fmt.Errorf("%w: %s is gone", ErrNoBackend, b.name)
	}
	if err := b.q.push(f, control); err != nil {
		return fmt.Errorf("pluginserver: queueing %v for %s: %w", f.Type, b.name, err)
	}
	return nil
}

// queue is queueLocked for callers that do not hold s.mu.
func (s *Server) queue(b *backend, f protocol.Frame, control bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueLocked(b, f, control)
}

// writeLoop is the writer goroutine of a backend connection: it writes what is queued,
// in order, until the queue is closed. A backend that takes no byte for PingInterval (it
// stopped reading: hung in a legacy call, or stopped) is handed to fail like a crash:
// killed and replaced, its users re-logged, the stanzas it never confirmed handed back.
func (s *Server) writeLoop(b *backend, c net.Conn) {
	q := b.q
	for {
		s.mu.Lock()
		batch := q.take()
		s.mu.Unlock()
		if batch == nil {
			select {
			case <-q.wake:
				continue
			case <-q.done:
				return
			}
		}
		if err := s.writeOut(c, batch); err != nil {
			reason := "writing: " + err.Error()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				reason = fmt.Sprintf("took no frames for %v (hung)", s.cfg.PingInterval)
			}
			s.fail(b, reason)
			return
		}
		s.mu.Lock()
		q.written(batch)
		s.mu.Unlock()
	}
}

// writeOut writes batch in chunks of writeChunk, each of which the backend must take
// within PingInterval.
func (s *Server) writeOut(c net.Conn, batch []byte) error {
	for len(batch) > 0 {
		n := min(len(batch), writeChunk)
		if err := c.SetWriteDeadline(time.Now().Add(s.cfg.PingInterval)); err != nil {
			return err
		}
		if _, err := c.Write(batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}
