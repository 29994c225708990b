package config

import "testing"

// An unset working_dir follows data_dir ($jid substituted first); a set one stays.
func TestWorkingDirDefaultsUnderDataDir(t *testing.T) {
	for _, c := range []struct{ extra, want string }{
		{`data_dir = "/var/lib/spectrum2/$jid"`, "/var/lib/spectrum2/gw.example.org/run"},
		{``, "data/run"},
		{"data_dir = \"/d\"\nworking_dir = \"/w\"", "/w"},
	} {
		cfg, ps := parse("t.toml", []byte("[service]\njid = \"gw.example.org\"\n"+c.extra+"\n"))
		if len(ps) != 0 {
			t.Fatalf("%q: %v", c.extra, ps)
		}
		if cfg.Service.WorkingDir != c.want {
			t.Errorf("%q: working_dir %q, want %q", c.extra, cfg.Service.WorkingDir, c.want)
		}
	}
}
