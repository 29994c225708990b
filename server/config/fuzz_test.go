package config

import (
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// FuzzLoad: any bytes give a config or problems, never a panic; a config that loads gives a
// backend INI file that reads back with the same values.
func FuzzLoad(f *testing.F) {
	for _, path := range []string{referencePath, "../../etc/demo.toml"} {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(withBackendINI))
	f.Add([]byte("[service]\njid = \"a\"\n[backend_ini]\ns = { k = [1, 2.5, true, \"x\"] }\n"))
	f.Add([]byte("[service]\njid = \"a\"\n[backend_ini.s]\nk = \" x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ps := parse("fuzz.toml", data)
		for _, p := range ps {
			_ = p.String()
		}
		if len(ps) != 0 {
			return
		}
		var b strings.Builder
		if _, err := c.BackendINI().WriteTo(&b); err != nil {
			t.Fatalf("a loaded config gives an unwritable INI: %v", err)
		}
		g, err := ini.Parse(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("INI does not parse: %v\n%s", err, b.String())
		}
		for _, v := range c.BackendExtra {
			if got := g.Values(v.Section, v.Key); strings.Join(got, "\x00") != strings.Join(v.Values, "\x00") {
				t.Fatalf("%s.%s: wrote %q, read %q", v.Section, v.Key, v.Values, got)
			}
		}
	})
}

// FuzzImport: any INI text gives TOML that parses, or an error; never a panic.
func FuzzImport(f *testing.F) {
	f.Add(libcommuniCfg)
	f.Add(libpurpleCfg)
	f.Fuzz(func(t *testing.T, in string) {
		out, _, err := Import(strings.NewReader(in), "fuzz.cfg")
		if err != nil {
			return
		}
		var raw map[string]any
		if _, err := toml.Decode(string(out), &raw); err != nil {
			t.Fatalf("import wrote invalid TOML: %v\n%s", err, out)
		}
	})
}
