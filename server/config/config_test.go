package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOptionsMatchStruct(t *testing.T) {
	c := Default()
	seen := map[string]bool{}
	for _, o := range options {
		f := field(c, o.Section, o.Key) // panics for a key without a field
		if reflect.TypeOf(o.Default) != f.Type() {
			t.Errorf("%s.%s: default is %T, field is %s", o.Section, o.Key, o.Default, f.Type())
		}
		if !knownSection(o.Section) {
			t.Errorf("%s.%s: section missing from sections", o.Section, o.Key)
		}
		seen[o.Section+"."+o.Key] = true
	}
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		sec := v.Type().Field(i).Tag.Get("toml")
		if v.Field(i).Kind() != reflect.Struct {
			continue
		}
		st := v.Field(i).Type()
		for j := range st.NumField() {
			if k := sec + "." + st.Field(j).Tag.Get("toml"); !seen[k] {
				t.Errorf("field %s has no entry in options", k)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	c, ps := parse("min.toml", []byte("[service]\njid = \"gw.example.org\"\n"))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if c.Service.Port != 5222 || c.Service.TLSPort != 5223 || c.Service.LoginTimeout != time.Minute ||
		c.Limits.MaxFrameBytes != 16<<20 || c.Limits.BackendQueueFrames != 4096 || c.Limits.BackendQueueBytes != 8<<20 ||
		!c.SM.Enabled || c.Features.MUC != nil || c.Logging.Format != "auto" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestValues(t *testing.T) {
	c, ps := parse("v.toml", []byte(`
[service]
jid = "gw.example.org"
working_dir = "/var/lib/spectrum2/$jid"
login_delay = "1500ms"
admin_jid = ["admin@example.org"]
[features]
muc = false
[registration]
extraField = ["email"]
`))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if c.Service.WorkingDir != "/var/lib/spectrum2/gw.example.org" {
		t.Errorf("$jid not substituted: %q", c.Service.WorkingDir)
	}
	if c.Service.LoginDelay != 1500*time.Millisecond || c.Service.AdminJID[0] != "admin@example.org" {
		t.Errorf("values: %+v", c.Service)
	}
	if c.Features.MUC == nil || *c.Features.MUC || c.Registration.ExtraField[0] != "email" {
		t.Errorf("overrides: %+v %+v", c.Features, c.Registration)
	}
}

func TestProblems(t *testing.T) {
	const jid = "[service]\njid = \"localhost\"\n"
	for _, c := range []struct {
		name, in string
		line     int
		key, msg string
	}{
		{"syntax", jid + "port = = 1\n", 3, "service.port", "expected value"},
		{"unknown key", jid + "prot = 1\n", 3, "service.prot", `did you mean "port"`},
		{"unknown section", jid + "[servce]\nx = 1\n", 3, "servce", `did you mean "service"`},
		{"wrong type", jid + "port = \"5222\"\n", 3, "service.port", "must be an integer, not a string"},
		{"port range", jid + "port = 70000\n", 3, "service.port", "out of range"},
		{"negative", jid + "\n[muc]\nhistory = -1\n", 5, "muc.history", "negative"},
		{"duration type", jid + "login_timeout = 60\n", 3, "service.login_timeout", "duration string"},
		{"duration syntax", jid + "login_timeout = \"1 minute\"\n", 3, "service.login_timeout", "not a duration"},
		{"level", jid + "[logging]\nlevel = \"verbose\"\n", 4, "logging.level", "unknown level"},
		{"format", jid + "[logging]\nformat = \"xml\"\n", 4, "logging.format", "unknown format"},
		{"no jid", "[service]\nport = 5222\n", 1, "service.jid", "required"},
		{"empty jid", "[service]\njid = \"\"\n", 2, "service.jid", "required"},
		{"bad jid", "[service]\njid = \"a@b\"\n", 2, "service.jid", "not a domain"},
		{"uppercase jid", "[service]\njid = \"Example.org\"\n", 2, "service.jid", "canonical"},
		{"admin jid", jid + "admin_jid = [\"example.org\"]\n", 3, "service.admin_jid", "bare JID"},
		{"cert without key", jid + "cert = \"c.pem\"\n", 3, "service.cert", "needs key"},
		{"key without cert", jid + "key = \"k.pem\"\n", 3, "service.key", "key without cert"},
		{"missing cert file", jid + "cert = \"/nonexistent/c.p12\"\n", 3, "service.cert", "no such file"},
		{"cert_password for PEM", jid + "cert_password = \"x\"\n", 3, "service.cert_password", "PKCS#12"},
		{"same ports", jid + "tls_port = 5222\n", 3, "service.tls_port", "differ"},
		{"builtin", jid + "backend = \"builtin:\"\n", 3, "service.backend", "builtin:NAME"},
		{"users_per_backend", jid + "users_per_backend = -1\n", 3, "service.users_per_backend", "must not be negative"},
		{"correction_fallback", jid + "correction_fallback = \"diff\"\n", 3, "service.correction_fallback", "one of"},
		{"host", jid + "server = \"a b\"\n", 3, "service.server", "IP address"},
		{"section type", jid + "limits = 3\n", 3, "service.limits", "unknown key"},
		{"top-level key", "foo = 1\n" + jid, 1, "foo", "unknown section"},
		{"override type", jid + "[features]\nmuc = 1\n", 4, "features.muc", "boolean"},
		{"ini hash", jid + "[identity]\nname = \"Gateway #1\"\n", 4, "identity.name", "comment"},
		{"ini table", jid + "[backend_ini.service]\nx = {a = 1}\n", 4, "backend_ini.service.x", "not a table"},
		{"ini hash value", jid + "[backend_ini.service]\nirc_server = \"#chan\"\n", 4, "backend_ini.service.irc_server", "comment"},
		{"allowed_servers", jid + "allowed_servers = [\"irc.example.org:6667\"]\n", 3, "service.allowed_servers", "not \"*\", a host name"},
		{"ini allowed_servers", jid + "[backend_ini.service]\nallowed_servers = \"*\"\n", 4, "backend_ini.service.allowed_servers", "itself"},
		{"ini own key", jid + "[backend_ini.service]\njid = \"x\"\n", 4, "backend_ini.service.jid", "itself"},
		{"ini not table", jid + "[backend_ini]\nservice = 1\n", 4, "backend_ini.service", "must be a table"},
		{"inline table line", jid + "[backend_ini]\nservice = { a = [1, {}] }\n", 4, "backend_ini.service.a", "array has a table"},
		{"backend queue", jid + "[limits]\nbackend_queue_frames = 10\n", 4, "limits.backend_queue_frames", "too small"},
		{"trusted proxies", jid + "[upload]\ntrusted_proxies = [\"127.0.0.1\", \"proxy.example\"]\n", 4, "upload.trusted_proxies", `"proxy.example" is no IP address`},
		{"backend queue bytes", jid + "[limits]\nmax_stanza_bytes = 1048576\nbackend_queue_bytes = 524288\n", 5, "limits.backend_queue_bytes", "at least max_stanza_bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, ps := parse("f.toml", []byte(c.in))
			if len(ps) == 0 {
				t.Fatal("no problem found")
			}
			p := ps[0]
			if p.File != "f.toml" || p.Line != c.line || p.Key != c.key || !strings.Contains(p.Msg, c.msg) {
				t.Errorf("got %q (line %d key %q); want line %d key %q msg ~%q", p, p.Line, p.Key, c.line, c.key, c.msg)
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	in := "[service]\nport = 0\ntls_port = -1\n\n[sm]\nack_after = \"x\"\nenabeld = true\n"
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 5 {
		t.Fatalf("Load: %v", err)
	}
	want := []string{
		path + ":1: service.jid: required",
		path + ":2: service.port: port 0 out of range",
		path + ":3: service.tls_port: must not be negative",
		path + ":6: sm.ack_after: ",
		path + ":7: sm.enabeld: unknown key (did you mean \"enabled\"?)",
	}
	for i, w := range want {
		if !strings.HasPrefix(ps[i].String(), w) {
			t.Errorf("problem %d = %q, want prefix %q", i, ps[i], w)
		}
	}
	if got := Check(path); len(got) != 5 {
		t.Errorf("Check found %d problems", len(got))
	}
	if got := Check(filepath.Join(t.TempDir(), "missing.toml")); len(got) != 1 || got[0].Line != 0 {
		t.Errorf("Check of a missing file: %v", got)
	}
}

func TestPKCS12(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "gw.P12")
	if err := os.WriteFile(cert, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	in := "[service]\njid = \"localhost\"\ncert = \"" + cert + "\"\ncert_password = \"secret\"\n"
	c, ps := parse("p.toml", []byte(in))
	if len(ps) != 0 || !c.IsPKCS12() {
		t.Fatalf("PKCS#12 cert refused: %v", ps)
	}
}

func TestKeyLines(t *testing.T) {
	kl := scanKeyLines(`a = """
[not.a.table]
b = 1
"""
[t]  # comment
"q.k" = [
  "x]",
]
s.d = 2
[[arr]]
z = 'l"it'
[t2]
y = 1
`)
	for path, want := range map[string]int{
		"a": 1, "t": 5, "t\x00q.k": 6, "t\x00s\x00d": 9, "arr": 10, "arr\x00z": 11, "t2\x00y": 13,
		"not\x00a\x00table": 0, "b": 0,
	} {
		if got := kl[path]; got != want {
			t.Errorf("%q: line %d, want %d", path, got, want)
		}
	}
}

// equalConfig compares two configurations by value (pointers followed).
func equalConfig(a, b *Config) bool { return reflect.DeepEqual(a, b) }
