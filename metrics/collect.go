package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

var (
	descSessions = prometheus.NewDesc("spectrum2_sessions", "Bound client sessions.", nil, nil)
	descUsers    = prometheus.NewDesc("spectrum2_users", "Users with a legacy session.", nil, nil)
	descBackends = prometheus.NewDesc("spectrum2_backends", "Backend processes, by state.", []string{"state"}, nil)
	descRSS      = prometheus.NewDesc("spectrum2_backend_resident_bytes",
		"Resident memory of each backend, as it reports in STATS.", []string{"backend", "pid"}, nil)
	descBackendUsers = prometheus.NewDesc("spectrum2_backend_users", "Users served by each backend.", []string{"backend", "pid"}, nil)
	descCrashes      = prometheus.NewDesc("spectrum2_backend_crashes_total", "Backends that died without being asked to.", nil, nil)
	descSpawns       = prometheus.NewDesc("spectrum2_backend_spawns_total", "Backends started.", nil, nil)
	descUptime       = prometheus.NewDesc("spectrum2_uptime_seconds", "Seconds since the daemon started.", nil, nil)
	descFromXMPP     = prometheus.NewDesc("spectrum2_messages_from_xmpp_total", "Messages with a body received from clients.", nil, nil)
	descToXMPP       = prometheus.NewDesc("spectrum2_messages_to_xmpp_total", "Messages with a body sent to clients.", nil, nil)
	descBuild        = prometheus.NewDesc("spectrum2_build_info", "Always 1; the version is a label.", []string{"version"}, nil)
	descDropped      = prometheus.NewDesc("spectrum2_backend_dropped_total", "Frames and connections refused on the backend port, by reason.", []string{"reason"}, nil)
)

// snapshotCollector reads the components' snapshots at scrape time, so that nothing has
// to be pushed for gauges the components already keep.
type snapshotCollector struct{ m *Metrics }

// Describe implements prometheus.Collector.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessions, descUsers, descBackends, descRSS, descBackendUsers,
		descCrashes, descSpawns, descDropped, descUptime, descFromXMPP, descToXMPP, descBuild} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(descSessions, float64(m.Sessions()))
	gauge(descUptime, m.Uptime().Seconds())
	gauge(descBuild, 1, m.version)
	counter(descFromXMPP, float64(m.MessagesFromXMPP()))
	counter(descToXMPP, float64(m.MessagesToXMPP()))
	src := m.src.Load()
	if src.Users != nil {
		gauge(descUsers, float64(len(src.Users())))
	}
	if src.Backends == nil {
		return
	}
	st := src.Backends()
	counter(descCrashes, float64(st.Crashes))
	counter(descSpawns, float64(st.Spawns))
	for reason, n := range st.Dropped {
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(n), reason)
	}
	states := map[string]int{}
	for _, b := range st.Backends {
		states[b.State]++
		pid := itoa(b.PID)
		gauge(descRSS, float64(b.RSS)*1024, b.Name, pid)
		gauge(descBackendUsers, float64(b.Users), b.Name, pid)
	}
	for s, n := range states {
		gauge(descBackends, float64(n), s)
	}
}
