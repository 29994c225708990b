package config

import (
	"strings"
	"testing"
)

func TestPEPOptions(t *testing.T) {
	const jid = "[service]\njid = \"localhost\"\n"
	c, ps := parse("f.toml", []byte(jid))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	if c.PEP != (PEP{MaxNodes: 64, MaxItemBytes: 256 << 10, MaxItems: 256, MaxPrivate: 32}) {
		t.Errorf("defaults %+v", c.PEP)
	}
	c, ps = parse("f.toml", []byte(jid+"[pep]\nmax_nodes = 8\nmax_item_bytes = 4096\nmax_items = 10\nmax_private = 2\n"))
	if len(ps) != 0 || c.PEP != (PEP{MaxNodes: 8, MaxItemBytes: 4096, MaxItems: 10, MaxPrivate: 2}) {
		t.Errorf("set %+v %v", c.PEP, ps)
	}
	for _, in := range []string{"max_nodes = 0", "max_item_bytes = 10", "max_items = 0", "max_private = 0", "max_item_bytes = 999999999"} {
		_, ps := parse("f.toml", []byte(jid+"[pep]\n"+in+"\n"))
		if len(ps) == 0 || !strings.HasPrefix(ps[0].Key, "pep.") {
			t.Errorf("%q: got %v", in, ps)
		}
	}
}
