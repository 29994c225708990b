package ini

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	f, err := Parse(strings.NewReader(`# comment
top = 1
[service]
jid = localhost
irc_server = a.example
irc_server = b.example:+6697   # fallback
[database]
type=sqlite3 # or "none"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ section, key, want string }{
		{"", "top", "1"}, {"service", "jid", "localhost"}, {"database", "type", "sqlite3"},
		{"service", "irc_server", "b.example:+6697"},
	} {
		if got, _ := f.Get(c.section, c.key); got != c.want {
			t.Errorf("%s.%s = %q, want %q", c.section, c.key, got, c.want)
		}
	}
	if got := f.Values("service", "irc_server"); len(got) != 2 || got[0] != "a.example" {
		t.Errorf("list = %q", got)
	}
	if !f.Bool("", "top", false) || f.Bool("service", "missing", false) {
		t.Error("Bool")
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no equals":   "[a]\nfoo\n",
		"open header": "[a\n",
		"empty key":   "= 1\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	var f File
	f.Add("service", "jid", "gw.example.org")
	f.Add("service", "irc_server", "a")
	f.Add("features", "muc", "1")
	f.Add("service", "irc_server", "b")
	var b strings.Builder
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "[service]\njid = gw.example.org\nirc_server = a\nirc_server = b\n\n[features]\nmuc = 1\n"
	if b.String() != want {
		t.Fatalf("wrote %q, want %q", b.String(), want)
	}
	g, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Values("service", "irc_server"); strings.Join(got, ",") != "a,b" {
		t.Errorf("list after round trip = %q", got)
	}
}

func TestWriteRejectsNewline(t *testing.T) {
	var f File
	f.Add("service", "jid", "a\nb")
	if _, err := f.WriteTo(&strings.Builder{}); err == nil {
		t.Fatal("newline in a value was written")
	}
}

func FuzzParseWrite(f *testing.F) {
	f.Add("[a]\nb = c\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		if _, err := p.WriteTo(&b); err != nil {
			return
		}
		q, err := Parse(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		for _, k := range p.Keys() {
			s, key, _ := strings.Cut(k, ".")
			if strings.Join(p.Values(s, key), "\x00") != strings.Join(q.Values(s, key), "\x00") {
				t.Fatalf("%s changed in round trip", k)
			}
		}
	})
}
