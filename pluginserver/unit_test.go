package pluginserver

import (
	"os"
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		bad      bool
	}{
		{"plain", "/usr/bin/backend", []string{"/usr/bin/backend"}, false},
		{"args", "/b  -x\t--y=1", []string{"/b", "-x", "--y=1"}, false},
		{"double quotes", `"/opt/my backend" "a b"`, []string{"/opt/my backend", "a b"}, false},
		{"single quotes keep backslash", `/b 'a\b'`, []string{"/b", `a\b`}, false},
		{"escape", `/b a\ b`, []string{"/b", "a b"}, false},
		{"empty quotes", `/b ""`, []string{"/b", ""}, false},
		{"unterminated", `/b "a`, nil, true},
		{"empty", "  ", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitArgs(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBackendConfigMerge(t *testing.T) {
	tests := []struct {
		name   string
		frames []string
		want   Features
	}{
		{"defaults", nil, Features{NeedPassword: true, NeedRegistration: true}},
		{"C++ sendConfig", []string{"[registration]\nneedPassword=0\nneedRegistration=0\n[features]\nmuc=1\nrawxml=0\ndisable_jid_escaping=1\n"},
			Features{MUC: true, DisableJIDEscaping: true}},
		{"Python: one key per frame", []string{"[features]\nmuc = 1\n", "[features]\nreceipts = 1\n", "[features]\nsend_buddies_on_login = 1\n"},
			Features{MUC: true, Receipts: true, SendBuddiesOnLogin: true, NeedPassword: true, NeedRegistration: true}},
		{"first value wins", []string{"[features]\nrawxml=1\n", "[features]\nrawxml=0\n"},
			Features{RawXML: true, NeedPassword: true, NeedRegistration: true}},
		{"garbage ignored", []string{"not ini at all", "[features]\nmuc=1\n"},
			Features{MUC: true, NeedPassword: true, NeedRegistration: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c backendConfig
			for _, f := range tc.frames {
				c.merge(f) //nolint:errcheck // garbage is reported and skipped
			}
			if got := c.features(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCommandEnv: Env is added to the inherited environment; without it the backend
// inherits ours unchanged (exec.Cmd with a nil Env).
func TestCommandEnv(t *testing.T) {
	s := &Server{cfg: Config{Backend: "/bin/true", Host: "127.0.0.1"}}
	cmd, err := s.command(1)
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Env != nil {
		t.Errorf("Env = %v, want nil (inherit)", cmd.Env)
	}
	s.cfg.Env = []string{"SPECTRUM2_TEST_ENV=1"}
	if cmd, err = s.command(1); err != nil {
		t.Fatal(err)
	}
	if n := len(cmd.Env); n == 0 || cmd.Env[n-1] != "SPECTRUM2_TEST_ENV=1" || n != len(os.Environ())+1 {
		t.Errorf("Env = %v, want ours plus SPECTRUM2_TEST_ENV=1", cmd.Env)
	}
}

func TestExecutable(t *testing.T) {
	for _, tc := range []struct{ backend, dir, want string }{
		{"/usr/bin/b --x", "/run", "/usr/bin/b"},
		{"'./my backend' BACKEND_ID", "/run", "/run/my backend"},
		{"b", "", "b"},
		{"BACKEND_ID/b", "/run", "/run/1/b"},
	} {
		if got, err := Executable(tc.backend, tc.dir); err != nil || got != tc.want {
			t.Errorf("Executable(%q, %q) = %q, %v; want %q", tc.backend, tc.dir, got, err, tc.want)
		}
	}
	if _, err := Executable("'open", ""); err == nil {
		t.Error("an unterminated quote gave no error")
	}
}
