package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/metrics"
)

// TestWriteLoadsStorage: the load table names each host's storage driver and warns when
// the hosts of a cluster do not all share PostgreSQL.
func TestWriteLoadsStorage(t *testing.T) {
	pg := hostLoad{target: "a.example:5222", addr: "10.0.0.1:9090", status: metrics.Status{Storage: "postgres"}}
	lite := hostLoad{target: "b.example:5222", addr: "10.0.0.2:9090", status: metrics.Status{Storage: "sqlite"}}
	dead := hostLoad{target: "c.example:5222", addr: "10.0.0.3:9090", err: errors.New("refused")}
	for _, c := range []struct {
		loads []hostLoad
		warn  bool
	}{
		{[]hostLoad{pg, pg, dead}, false},
		{[]hostLoad{pg, lite}, true},
		{[]hostLoad{lite}, false}, // one host needs nothing shared
	} {
		var b strings.Builder
		if err := writeLoads(&b, c.loads); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, "STORAGE") || !strings.Contains(out, c.loads[0].status.Storage) {
			t.Errorf("no storage column:\n%s", out)
		}
		if got := strings.Contains(out, `warning: 1 of 2 hosts do not use [storage] driver = "postgres"`); got != c.warn {
			t.Errorf("warning %v, want %v:\n%s", got, c.warn, out)
		}
	}
}
