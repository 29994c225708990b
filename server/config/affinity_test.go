package config

import (
	"strings"
	"testing"
)

func TestClusterAffinity(t *testing.T) {
	c, ps := parse("c.toml", []byte(strings.Replace(clusterTOML, "ttl = \"10m\"", "ttl = \"10m\"\naffinity = true", 1)))
	if len(ps) != 0 || !c.Cluster.Affinity {
		t.Fatalf("problems %v, affinity %v", ps, c.Cluster.Affinity)
	}
	_, ps = parse("c.toml", []byte(strings.Replace(clusterTOML, "host = \"xmpp1\"", "affinity = true", 1)))
	if len(ps) != 1 || ps[0].Key != "cluster.affinity" || !strings.Contains(ps[0].Msg, "cluster.host") {
		t.Fatalf("affinity without host: problems %v", ps)
	}
}
