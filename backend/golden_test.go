package backend_test

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// goldenFrame is one line of protocol/testdata/*.jsonl: a frame captured between the real
// Spectrum 2 daemon (">>" is daemon to backend) and real backends.
type goldenFrame struct {
	Dir        string `json:"dir"`
	Type       string `json:"type"`
	WrapperHex string `json:"wrapper_hex"`
}

func loadGolden(t *testing.T, name string) []goldenFrame {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var g goldenFrame
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// goldenCall is the plugin call (prefix of the recorder's line) a captured request must
// cause; "" means the SDK answers itself.
var goldenCall = map[string]string{
	"TYPE_LOGIN":        "login ",
	"TYPE_LOGOUT":       "logout ",
	"TYPE_CONV_MESSAGE": "message ",
	"TYPE_JOIN_ROOM":    "join ",
}

// TestGoldenRequests replays what the real daemon sent to real backends, byte for byte,
// and checks that the SDK answers as those backends did and calls the plugin for each.
func TestGoldenRequests(t *testing.T) {
	files, err := filepath.Glob("../protocol/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden frames: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := newRecorder()
			d := backendtest.Start(t, r)
			for _, g := range loadGolden(t, file) {
				if g.Dir != ">>" {
					continue
				}
				raw, err := hex.DecodeString(g.WrapperHex)
				if err != nil {
					t.Fatal(err)
				}
				d.WriteRaw(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
				d.WriteRaw(raw)
				replayAnswer(t, d, r, g.Type)
			}
		})
	}
}

func replayAnswer(t *testing.T, d *backendtest.Daemon, r *recorder, typ string) {
	t.Helper()
	switch typ {
	case "TYPE_PING":
		d.Expect(pb.WrapperMessage_TYPE_PONG)
		d.Expect(pb.WrapperMessage_TYPE_STATS)
	case "TYPE_EXIT":
		if err := d.Wait(); err != nil {
			t.Errorf("Run after EXIT: %v", err)
		}
	default:
		want, ok := goldenCall[typ]
		if !ok {
			t.Fatalf("no expectation for captured %s", typ)
		}
		if got := r.next(t); !strings.HasPrefix(got, want) {
			t.Errorf("%s: plugin got %q", typ, got)
		}
		if typ == "TYPE_LOGIN" {
			d.Expect(pb.WrapperMessage_TYPE_CONNECTED)
		}
	}
}
