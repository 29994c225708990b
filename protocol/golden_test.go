package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// goldenFrame is one line of testdata/*.jsonl: a frame captured from a real, unmodified
// Spectrum 2 backend (libcommuni, libpurple, the C++ template, a Python backend).
type goldenFrame struct {
	Dir        string `json:"dir"`
	Type       string `json:"type"`
	Fields     string `json:"fields"`
	WrapperHex string `json:"wrapper_hex"`
}

func loadGolden(t testing.TB) map[string][]goldenFrame {
	t.Helper()
	files, err := filepath.Glob("testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden frames: %v", err)
	}
	out := map[string][]goldenFrame{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var g goldenFrame
			if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[filepath.Base(name)] = append(out[filepath.Base(name)], g)
		}
		f.Close()
	}
	return out
}

// TestGoldenFrames: every captured frame decodes, its type and fields match the capture,
// and re-encoding the decoded message gives the captured bytes.
func TestGoldenFrames(t *testing.T) {
	for file, frames := range loadGolden(t) {
		for i, g := range frames {
			raw, err := hex.DecodeString(g.WrapperHex)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, i+1, err)
			}
			f, err := ParseWrapper(raw)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, i+1, err)
			}
			if f.Type.String() != g.Type {
				t.Errorf("%s:%d: type %v, capture says %s", file, i+1, f.Type, g.Type)
			}
			m, err := Decode(f)
			if err != nil {
				t.Fatalf("%s:%d: decode: %v", file, i+1, err)
			}
			if m == nil {
				if g.Fields != "(no payload)" || f.HasPayload {
					t.Errorf("%s:%d: %v: payload presence differs from capture", file, i+1, f.Type)
				}
				continue
			}
			if got := (prototext.MarshalOptions{}).Format(m); normalize(got) != normalize(g.Fields) {
				t.Errorf("%s:%d: fields\n got %s\nwant %s", file, i+1, got, g.Fields)
			}
			re, err := Encode(f.Type, m)
			if err != nil {
				t.Fatalf("%s:%d: encode: %v", file, i+1, err)
			}
			if got := AppendWrapper(nil, re); !bytes.Equal(got, raw) {
				t.Errorf("%s:%d: re-encoded\n got %x\nwant %x", file, i+1, got, raw)
			}
		}
	}
}

// normalize removes the spacing differences between prototext and the C++ DebugString.
func normalize(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		if c != ' ' && c != '\n' {
			b = append(b, c)
		}
	}
	return strings.ReplaceAll(string(b), ":{", "{")
}

// TestReaderWriterRoundTrip writes every golden frame through a Writer and reads them back.
func TestReaderWriterRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	var want [][]byte
	for _, frames := range loadGolden(t) {
		for _, g := range frames {
			raw, _ := hex.DecodeString(g.WrapperHex)
			f, err := ParseWrapper(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrame(f); err != nil {
				t.Fatal(err)
			}
			want = append(want, raw)
		}
	}
	r := NewReader(&buf, 0)
	for i, raw := range want {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got := AppendWrapper(nil, f); !bytes.Equal(got, raw) {
			t.Fatalf("frame %d differs", i)
		}
	}
}

func TestReaderLimits(t *testing.T) {
	hdr := func(n uint32, rest ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, n)
		return append(b, rest...)
	}
	tests := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"announced length over the limit", hdr(1 << 30), 1024, ErrFrameTooLarge},
		{"truncated frame", hdr(10, 8, 9), 0, nil},
		{"no type field", hdr(2, 0x12, 0x00), 0, ErrBadFrame},
		{"garbage", hdr(3, 0xff, 0xff, 0xff), 0, ErrBadFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.in), tc.max).ReadFrame()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errorsIs(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestUnknownTypeDoesNotStall: a frame of an unknown type is reported and the frames
// behind it in the same read are still delivered (spec 1.4 quirk fixed).
func TestUnknownTypeDoesNotStall(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.WriteFrame(Frame{Type: 99, Payload: []byte{1, 2}, HasPayload: true})
	_ = w.WriteFrame(MustEncode(pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: proto.String("a@b")}))
	r := NewReader(&buf, 0)
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(f); !errorsIs(err, ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	f, err = r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(f)
	if err != nil || User(m) != "a@b" {
		t.Fatalf("frame behind unknown one: %v %v", m, err)
	}
}

// TestFieldPresence: VCard.photo and Buddy.blocked carry meaning by presence (spec 1.2).
func TestFieldPresence(t *testing.T) {
	req := &pb.VCard{UserName: proto.String("u"), BuddyName: proto.String("b"), Id: proto.Int32(1)}
	upd := &pb.VCard{UserName: proto.String("u"), BuddyName: proto.String(""), Id: proto.Int32(0), Photo: []byte{}}
	for _, tc := range []struct {
		name  string
		m     *pb.VCard
		photo bool
	}{{"request", req, false}, {"update with empty photo", upd, true}} {
		f := MustEncode(pb.WrapperMessage_TYPE_VCARD, tc.m)
		m, err := Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.(*pb.VCard).Photo != nil; got != tc.photo {
			t.Errorf("%s: photo present = %v, want %v", tc.name, got, tc.photo)
		}
	}
	b := &pb.Buddy{UserName: proto.String("u"), BuddyName: proto.String("b")}
	m, _ := Decode(MustEncode(pb.WrapperMessage_TYPE_BUDDY_CHANGED, b))
	if m.(*pb.Buddy).Blocked != nil {
		t.Error("blocked present although never set")
	}
}
