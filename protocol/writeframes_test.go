package protocol

import (
	"bytes"
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// countWriter counts the writes it gets.
type countWriter struct {
	bytes.Buffer
	writes int
}

func (c *countWriter) Write(b []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(b)
}

// TestWriteFramesOneWrite: frames written together go in one write, in order, and read
// back as the frames WriteFrame would have written one by one.
func TestWriteFramesOneWrite(t *testing.T) {
	var one, each countWriter
	fs := []Frame{{Type: pb.WrapperMessage_TYPE_PONG}, {Type: pb.WrapperMessage_TYPE_STATS, Payload: []byte{1, 2, 3}, HasPayload: true}}
	if err := NewWriter(&one).WriteFrames(fs...); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(&each)
	for _, f := range fs {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if one.writes != 1 || each.writes != 2 {
		t.Errorf("writes: %d together (want 1), %d one by one (want 2)", one.writes, each.writes)
	}
	if !bytes.Equal(one.Bytes(), each.Bytes()) {
		t.Errorf("bytes differ: %x, one by one %x", one.Bytes(), each.Bytes())
	}
}
