package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func FuzzReadFrame(f *testing.F) {
	for _, frames := range loadGolden(f) {
		for _, g := range frames {
			raw, _ := hex.DecodeString(g.WrapperHex)
			f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(len(raw))), raw...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 1<<16)
		for i := 0; i < 64; i++ {
			fr, err := r.ReadFrame()
			if err != nil {
				if errors.Is(err, ErrBadFrame) {
					continue
				}
				return
			}
			_, _ = Decode(fr)
		}
	})
}

func FuzzDecode(f *testing.F) {
	for _, frames := range loadGolden(f) {
		for _, g := range frames {
			raw, _ := hex.DecodeString(g.WrapperHex)
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fr, err := ParseWrapper(raw)
		if err != nil {
			return
		}
		m, err := Decode(fr)
		if err != nil || m == nil {
			return
		}
		// What decodes must encode again and decode to the same fields.
		re, err := Encode(fr.Type, m)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", fr.Type, err)
		}
		back, err := Decode(re)
		if err != nil {
			t.Fatalf("re-encoded %v does not decode: %v", fr.Type, err)
		}
		if !proto.Equal(m, back) {
			t.Fatalf("%v decodes differently after re-encoding:\n%v\n%v", fr.Type, m, back)
		}
	})
}
