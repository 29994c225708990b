package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/cluster"
)

// Cluster is the [cluster] section: the hosts that serve one domain (docs/scaling.md).
// Its fields are cluster.Config's.
type Cluster struct {
	Host string        `toml:"host"`
	TTL  time.Duration `toml:"ttl"`
	// Affinity sends every user to the host that owns it (see-other-host, cluster.Affinity).
	Affinity bool             `toml:"affinity"`
	Members  []cluster.Member `toml:"member"`
}

// ClusterSettings is what package cluster needs: service.jid, [cluster] and [dns],
// normalized (defaults applied).
func (c *Config) ClusterSettings() cluster.Settings {
	s := cluster.Settings{
		Domain: c.Service.JID,
		Cluster: cluster.Config{Host: c.Cluster.Host, TTL: c.Cluster.TTL,
			Members: append([]cluster.Member(nil), c.Cluster.Members...)},
		DNS: c.DNS,
	}
	s.Normalize()
	return s
}

// validateCluster checks [cluster] and [dns] together once either is used.
func (d *decoder) validateCluster() {
	c := d.cfg
	if len(c.Cluster.Members) == 0 && c.DNS.Listen == "" && c.Cluster.Host == "" && !c.Cluster.Affinity {
		return
	}
	if c.Cluster.Affinity && c.Cluster.Host == "" {
		d.problem("affinity needs cluster.host: the member name of this host", "cluster", "affinity")
	}
	s := c.ClusterSettings()
	if err := s.Validate(); err != nil {
		key := []string{"cluster", "member"}
		if len(c.Cluster.Members) == 0 && c.DNS.Listen != "" {
			key = []string{"dns", "listen"}
		}
		d.problem(err.Error(), key...)
	}
	if c.DNS.Listen != "" {
		if msg := checkListen(c.DNS.Listen); msg != "" {
			d.problem(msg, "dns", "listen")
		}
	}
}

var memberSliceType = reflect.TypeFor[[]cluster.Member]()

// convertMembers decodes [[cluster.member]] tables.
func convertMembers(raw any) (any, string) {
	tables, ok := raw.([]map[string]any)
	if !ok {
		return nil, fmt.Sprintf("must be [[cluster.member]] tables, not %s", tomlType(raw))
	}
	out := make([]cluster.Member, 0, len(tables))
	for i, t := range tables {
		m, msg := convertMember(t)
		if msg != "" {
			return nil, fmt.Sprintf("member %d: %s", i+1, msg)
		}
		out = append(out, m)
	}
	return out, ""
}

func convertMember(t map[string]any) (cluster.Member, string) {
	var m cluster.Member
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var msg string
		switch k {
		case "name":
			m.Name, msg = memberString(t[k])
		case "addresses":
			var v any
			if v, msg = convertStrings(t[k]); msg == "" {
				m.Addresses = v.([]string)
			}
		case "port", "tls_port":
			var n int
			n, msg = memberInt(t[k], 65535)
			if k == "port" {
				m.Port = n
			} else {
				m.TLSPort = n
			}
		case "priority", "weight":
			var n int
			n, msg = memberInt(t[k], 65535)
			if k == "priority" {
				m.Priority = uint16(n)
			} else {
				m.Weight = uint16(n)
			}
		default:
			msg = "unknown key" + suggest(k, []string{"name", "addresses", "port", "tls_port", "priority", "weight"})
		}
		if msg != "" {
			return m, k + ": " + msg
		}
	}
	return m, ""
}

func memberString(v any) (string, string) {
	s, ok := v.(string)
	if !ok {
		return "", "must be a string, not " + tomlType(v)
	}
	return strings.TrimSpace(s), ""
}

func memberInt(v any, hi int64) (int, string) {
	n, ok := v.(int64)
	switch {
	case !ok:
		return 0, "must be an integer, not " + tomlType(v)
	case n < 0 || n > hi:
		return 0, fmt.Sprintf("%d is out of range 0-%d", n, hi)
	}
	return int(n), ""
}
