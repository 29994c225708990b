package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStorageOptions(t *testing.T) {
	const jid = "[service]\njid = \"localhost\"\ndata_dir = \"/var/lib/s2\"\n"
	c, ps := parse("f.toml", []byte(jid+"[offline]\nmax_messages = 20\nexpire_after = \"48h\"\n"))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if sc := c.StoreConfig(); sc.Driver != "sqlite" || sc.DSN != filepath.Join("/var/lib/s2", "spectrum2.db") {
		t.Errorf("default store %+v", sc)
	}
	if c.Offline.MaxMessages != 20 || c.Offline.ExpireAfter != 48*time.Hour {
		t.Errorf("offline %+v", c.Offline)
	}
	for _, p := range []struct{ in, key, msg string }{
		{"[storage]\ndriver = \"mysql\"\n", "storage.driver", `want "sqlite" or "postgres"`},
		{"[storage]\ndriver = \"postgres\"\n", "storage.dsn", "needs dsn"},
		{"[offline]\nmax_messages = 0\n", "offline.max_messages", "too small"},
		{"[offline]\nexpire_after = \"1s\"\n", "offline.expire_after", ""},
	} {
		_, ps := parse("f.toml", []byte(jid+p.in))
		if len(ps) == 0 || ps[0].Key != p.key || !strings.Contains(ps[0].Msg, p.msg) {
			t.Errorf("%q: got %v, want %s ~%q", p.in, ps, p.key, p.msg)
		}
	}
	c, _ = parse("f.toml", []byte(jid+"[storage]\ndriver = \"postgres\"\ndsn = \"postgres://x@h/db\"\n"))
	if sc := c.StoreConfig(); sc.Driver != "postgres" || sc.DSN != "postgres://x@h/db" {
		t.Errorf("postgres store %+v", sc)
	}
}
