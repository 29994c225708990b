package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/backend"
)

func TestParseArgs(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "backend.cfg")
	if err := os.WriteFile(cfg, []byte("[service]\njid = localhost\nbackend_id = 0\n[demo]\ncontacts = 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		host string
		port int
		id   string
	}{
		{"spectrum2 form", []string{"--host", "127.0.0.1", "--port", "31000", "--service.backend_id=3", "-n", cfg}, "127.0.0.1", 31000, "3"},
		{"equals form", []string{"--host=::1", "--port=31001", "--service.backend_id=4", cfg}, "::1", 31001, "4"},
		{"short form", []string{"-h", "localhost", "-p", "31002", "--jid", "x.localhost", cfg}, "localhost", 31002, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := backend.ParseArgs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if a.Host != tc.host || a.Port != tc.port || a.BackendID != tc.id || a.ConfigPath != cfg {
				t.Errorf("got %+v", a)
			}
			if v, _ := a.Config.Get("demo", "contacts"); v != "5" {
				t.Errorf("config not read: demo.contacts=%q", v)
			}
		})
	}
}

func TestParseArgsOverridesAndErrors(t *testing.T) {
	a, err := backend.ParseArgs([]string{"--port", "1", "--demo.contacts=9"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := a.Config.Get("demo", "contacts"); v != "9" || a.Host != "127.0.0.1" {
		t.Errorf("override: contacts=%q host=%q", v, a.Host)
	}
	for _, bad := range [][]string{
		{"--port"}, {"--port", "x"}, {"--port=70000"}, {"--host"},
		{"--port", "1", filepath.Join(t.TempDir(), "missing.cfg")},
	} {
		if _, err := backend.ParseArgs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestFeaturesINIDefaultsAndNewlines(t *testing.T) {
	got := backend.Features{NeedPassword: true, ExtraFields: []string{"a\nb"}}.INI()
	want := "[registration]\nneedPassword = 1\nneedRegistration = 0\n\n[features]\nmuc = 0\nrawxml = 0\n" +
		"disable_jid_escaping = 0\nsend_buddies_on_login = 0\nreceipts = 0\n"
	if got != want {
		t.Errorf("INI:\n%s\nwant:\n%s", got, want)
	}
}

// TestFeaturesINIExtensions (issue 24): the extension keys are written only when set, so a
// backend that announces none of them sends the BACKEND_CONFIG it sent before.
func TestFeaturesINIExtensions(t *testing.T) {
	plain := backend.Features{NeedPassword: true}.INI()
	for _, k := range []string{"corrections", "replies", "reactions", "retractions", "msgids", "markers", "attachments"} {
		if strings.Contains(plain, k) {
			t.Errorf("%s announced although not set:\n%s", k, plain)
		}
	}
	all := backend.Features{NeedPassword: true, Corrections: true, Replies: true, Reactions: true,
		Retractions: true, MsgIDs: true}.INI()
	want := plain + "corrections = 1\nreplies = 1\nreactions = 1\nretractions = 1\nmsgids = 1\n"
	if all != want {
		t.Errorf("INI:\n%s\nwant:\n%s", all, want)
	}
}
