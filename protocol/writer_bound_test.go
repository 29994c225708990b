package protocol

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// stuckConn is a loopback TCP connection with small socket buffers whose far end reads
// nothing until the test does, so that a large write blocks.
func stuckConn(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client, server = c.(*net.TCPConn), s.(*net.TCPConn)
	t.Cleanup(func() { client.Close(); server.Close() })
	if err := client.SetWriteBuffer(16 << 10); err != nil {
		t.Fatal(err)
	}
	if err := server.SetReadBuffer(16 << 10); err != nil {
		t.Fatal(err)
	}
	return client, server
}

// waitWriter polls w under its lock until cond holds.
func waitWriter(t *testing.T, w *Writer, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		ok := cond()
		w.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// blockWriter starts a write of a 4 MB frame that the far end does not read, then that
// many callers of one small frame each; it returns once all of them wait, with their
// results to come on the channel, and the wire length of the large frame and of a small one.
func blockWriter(t *testing.T, w *Writer, callers int) (done <-chan error, bigLen, smallLen int) {
	t.Helper()
	results := make(chan error, callers+1)
	big := Frame{Type: pb.WrapperMessage_TYPE_RAW_XML, Payload: make([]byte, 4<<20), HasPayload: true}
	go func() { results <- w.WriteFrame(big) }()
	waitWriter(t, w, "the large write to start", func() bool { return w.writing && len(w.pending) == 0 })
	small := Frame{Type: pb.WrapperMessage_TYPE_PING}
	for range callers {
		go func() { results <- w.WriteFrame(small) }()
	}
	smallLen = 4 + wrapperLen(small)
	waitWriter(t, w, "the callers to queue", func() bool { return len(w.pending) == callers*smallLen })
	return results, 4 + wrapperLen(big), smallLen
}

// TestWriterPendingBound: pending holds the frames of the callers still in WriteFrames
// and nothing else. While a write is stuck on a peer that does not read, each caller
// queues its one frame and waits; the peer's reading releases them all, leaving nothing
// pending. A write error releases every waiting caller with that error, drops what was
// pending, and fails later calls at once.
func TestWriterPendingBound(t *testing.T) {
	const callers = 8
	t.Run("drained", func(t *testing.T) {
		client, server := stuckConn(t)
		w := NewWriter(client)
		done, bigLen, smallLen := blockWriter(t, w, callers)
		select {
		case err := <-done:
			t.Fatalf("a caller returned (%v) before its frame was written", err)
		case <-time.After(100 * time.Millisecond):
		}
		w.mu.Lock()
		inFlight, pending := w.queued-w.written, len(w.pending)
		w.mu.Unlock()
		if want := int64(bigLen + callers*smallLen); inFlight != want || pending != callers*smallLen {
			t.Fatalf("%d bytes not written, %d pending; want %d and %d: the large frame and %d small ones",
				inFlight, pending, want, callers*smallLen, callers)
		}
		r := NewReader(server, 8<<20)
		for i := range callers + 1 {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if want := pb.WrapperMessage_TYPE_PING; i > 0 && f.Type != want {
				t.Fatalf("frame %d is %v, want %v", i, f.Type, want)
			}
		}
		for range callers + 1 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.pending) != 0 || w.queued != w.written {
			t.Fatalf("after the drain: %d bytes pending, %d queued, %d written", len(w.pending), w.queued, w.written)
		}
	})
	t.Run("write error", func(t *testing.T) {
		client, _ := stuckConn(t)
		w := NewWriter(client)
		done, _, _ := blockWriter(t, w, callers)
		if err := client.SetWriteDeadline(time.Now()); err != nil {
			t.Fatal(err)
		}
		for range callers + 1 {
			if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("a waiting caller got %v, want the write's deadline error", err)
			}
		}
		w.mu.Lock()
		pending := len(w.pending)
		w.mu.Unlock()
		if pending != 0 {
			t.Fatalf("%d bytes still pending after the write error", pending)
		}
		if err := w.WriteFrame(Frame{Type: pb.WrapperMessage_TYPE_PING}); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a call after the error: %v", err)
		}
	})
}

// TestWriterFrameTooLarge: a frame longer than the length prefix can announce (the limit
// lowered here from 4 GiB) is refused with ErrFrameTooLarge, together with the frames of
// its call, and nothing is written; the stream goes on for the next call.
func TestWriterFrameTooLarge(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	w.max = 100
	ping := Frame{Type: pb.WrapperMessage_TYPE_PING}
	fits := Frame{Type: pb.WrapperMessage_TYPE_RAW_XML, Payload: make([]byte, 100-4), HasPayload: true}
	over := Frame{Type: pb.WrapperMessage_TYPE_RAW_XML, Payload: make([]byte, 100-3), HasPayload: true}
	if n := wrapperLen(fits); n != 100 {
		t.Fatalf("the fitting frame is %d bytes, want 100", n)
	}
	if err := w.WriteFrames(ping, over); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("a frame of %d bytes at limit 100: %v, want ErrFrameTooLarge", wrapperLen(over), err)
	}
	if out.Len() != 0 {
		t.Fatalf("%d bytes written by the refused call", out.Len())
	}
	if err := w.WriteFrames(ping, fits); err != nil {
		t.Fatalf("the next call: %v", err)
	}
	r := NewReader(&out, 0)
	for _, want := range []Frame{ping, fits} {
		f, err := r.ReadFrame()
		if err != nil || f.Type != want.Type || len(f.Payload) != len(want.Payload) {
			t.Fatalf("read %v %d bytes, %v; want %v %d bytes", f.Type, len(f.Payload), err, want.Type, len(want.Payload))
		}
	}
}
