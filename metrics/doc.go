// Package metrics is the daemon's operational view of itself: Prometheus metrics, the
// /healthz and /readyz probes, optional pprof, and the status snapshot behind
// `spectrum2 status` and the admin commands (spec 3.20).
//
// There is no package-level state: server/run.go creates one *Metrics and hands it to
// the components. The router reports every stanza it queues to a client and every queue
// overflow through its Ops field (*Metrics implements router.Ops), and c2s gets the
// router's c2s.Authenticator wrapped by (*Metrics).Authenticator, which times logins,
// counts failures by SASL condition, bound sessions and incoming stanzas. Gauges that
// components already keep (users, backends and their memory, crashes) are read from
// their snapshots at scrape time (SetSources) instead of being pushed.
//
// Handler serves the probes, /status (JSON) and, as chosen, /metrics and pprof; Serve
// runs it on a TCP listener ([metrics] listen, off by default) or on the Unix admin
// socket that `spectrum2 status` asks (FetchStatus).
package metrics
