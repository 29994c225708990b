package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// DefaultMaxFrame is the default limit on one frame's length. Spectrum 2 has none (spec 1.1);
// a limit keeps a broken or hostile peer from making us allocate gigabytes.
const DefaultMaxFrame = 16 << 20

// ErrFrameTooLarge is returned (wrapped) when a frame announces more than the maximum, and
// by a Writer for a frame longer than its 4-byte length prefix can announce.
var ErrFrameTooLarge = errors.New("protocol: frame too large")

// Frame is one WrapperMessage: its type and its still-encoded payload.
type Frame struct {
	Type    pbnetwork.WrapperMessage_Type
	Payload []byte
	// HasPayload distinguishes an absent payload field (PING, PONG, EXIT) from an empty one.
	HasPayload bool
}

// Reader reads frames from a stream.
type Reader struct {
	r   *bufio.Reader
	max int
	hdr [4]byte
}

// NewReader returns a Reader that refuses frames longer than max bytes (0 = DefaultMaxFrame).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &Reader{r: bufio.NewReaderSize(r, 4096), max: max}
}

// ReadFrame reads the next frame. A frame whose WrapperMessage does not parse is returned
// as an error wrapping ErrBadFrame; the stream stays usable for the frames behind it.
func (r *Reader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return Frame{}, err
	}
	n := int(binary.BigEndian.Uint32(r.hdr[:]))
	if n > r.max {
		return Frame{}, fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, n, r.max)
	}
	buf, err := readN(r.r, n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return ParseWrapper(buf)
}

// readN reads n bytes, growing the buffer as data arrives rather than trusting the
// announced length up front.
func readN(r io.Reader, n int) ([]byte, error) {
	const step = 64 << 10
	if n <= step {
		buf := make([]byte, n)
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	buf := make([]byte, 0, step)
	for len(buf) < n {
		chunk := min(n-len(buf), cap(buf)-len(buf))
		if chunk == 0 {
			buf = append(buf, make([]byte, min(n-len(buf), len(buf)))...)[:len(buf)]
			continue
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// ErrBadFrame is wrapped by errors for frames that arrived whole but do not parse.
var ErrBadFrame = errors.New("protocol: malformed WrapperMessage")

// ParseWrapper parses a serialized WrapperMessage without copying the payload. It is a
// hand-written parser of the two fields so that unknown fields are skipped and the
// payload's presence is kept.
func ParseWrapper(b []byte) (Frame, error) {
	var f Frame
	var haveType bool
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Frame{}, fmt.Errorf("%w: %v", ErrBadFrame, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return Frame{}, fmt.Errorf("%w: type: %v", ErrBadFrame, protowire.ParseError(n))
			}
			f.Type, haveType = pbnetwork.WrapperMessage_Type(int32(v)), true
			b = b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return Frame{}, fmt.Errorf("%w: payload: %v", ErrBadFrame, protowire.ParseError(n))
			}
			f.Payload, f.HasPayload = v, true
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return Frame{}, fmt.Errorf("%w: field %d: %v", ErrBadFrame, num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if !haveType {
		return Frame{}, fmt.Errorf("%w: no type", ErrBadFrame)
	}
	return f, nil
}

// AppendWrapper appends the serialized WrapperMessage of f to b: field 1 then field 2,
// the order protobuf-c++ writes, so re-encoding a decoded frame gives the same bytes.
func AppendWrapper(b []byte, f Frame) []byte {
	b = protowire.AppendTag(b, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(int64(f.Type)))
	if f.HasPayload || len(f.Payload) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, f.Payload)
	}
	return b
}

// maxFrameLen is the longest frame the 4-byte length prefix can announce.
const maxFrameLen = math.MaxUint32

// Writer writes frames. It is safe for concurrent use: frames queued while a write is in
// progress are coalesced into the next write, so a burst costs few syscalls.
type Writer struct {
	w    io.Writer
	max  int64 // longest frame written (maxFrameLen; tests lower it)
	mu   sync.Mutex
	cond *sync.Cond
	// pending holds only the frames of callers still inside WriteFrames, each waiting
	// for its own bytes to be written: its bound is what those callers hold already,
	// and a write error drops it (TestWriterPendingBound).
	pending []byte
	queued  int64 // bytes ever queued
	written int64 // bytes ever written
	writing bool
	err     error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w, max: maxFrameLen}
	wr.cond = sync.NewCond(&wr.mu)
	return wr
}

// wrapperLen is the length of f's serialized WrapperMessage (AppendWrapper).
func wrapperLen(f Frame) int {
	n := protowire.SizeTag(1) + protowire.SizeVarint(uint64(int64(f.Type)))
	if f.HasPayload || len(f.Payload) > 0 {
		n += protowire.SizeTag(2) + protowire.SizeBytes(len(f.Payload))
	}
	return n
}

// WriteFrame queues f and returns once it has been written (possibly together with
// frames queued by other goroutines), or with the first write error.
func (w *Writer) WriteFrame(f Frame) error { return w.WriteFrames(f) }

// WriteFrames is WriteFrame for frames that are ready together, in order: one write
// rather than one each, so that their reader on the other end wakes once (a backend's
// PONG and the STATS that follows it, issue 26).
func (w *Writer) WriteFrames(fs ...Frame) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	// A frame the length prefix cannot announce would corrupt the stream: refuse the
	// call whole, and the stream stays usable.
	for _, f := range fs {
		if n := wrapperLen(f); int64(n) > w.max {
			return fmt.Errorf("%w: %v frame of %d bytes, limit %d", ErrFrameTooLarge, f.Type, n, w.max)
		}
	}
	for _, f := range fs {
		start := len(w.pending)
		w.pending = append(w.pending, 0, 0, 0, 0)
		w.pending = AppendWrapper(w.pending, f)
		binary.BigEndian.PutUint32(w.pending[start:], uint32(len(w.pending)-start-4))
		w.queued += int64(len(w.pending) - start)
	}
	end := w.queued
	for w.writing && w.written < end && w.err == nil {
		w.cond.Wait() // the goroutine writing now takes our bytes in its next round
	}
	if w.written >= end || w.err != nil {
		return w.err
	}
	w.writing = true
	for len(w.pending) > 0 && w.err == nil {
		buf := w.pending
		w.pending = nil
		w.mu.Unlock()
		_, err := w.w.Write(buf)
		w.mu.Lock()
		if err != nil {
			w.err = fmt.Errorf("protocol: write: %w", err)
		}
		w.written += int64(len(buf))
		w.cond.Broadcast()
	}
	if w.err != nil {
		w.pending = nil // its callers get w.err; nothing more is written
	}
	w.writing = false
	w.cond.Broadcast()
	return w.err
}
