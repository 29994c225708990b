package metrics

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
)

// Sources are the components whose state is read at scrape time. Every field may be nil.
type Sources struct {
	// Backends returns the backends' snapshot (*pluginserver.Server.Stats).
	Backends func() pluginserver.Stats
	// Users returns the bare JIDs with a legacy session (*router.Router.OnlineUsers).
	Users func() []string
	// Storage names the storage driver in use ([storage] driver).
	Storage string
	// MaxUsers and MaxBackends are limits.max_users and limits.max_backends (0: none).
	MaxUsers, MaxBackends int
}

// Metrics counts what the daemon does. Its methods are safe for concurrent use; a nil
// *Metrics is not valid (components that may run without metrics hold an interface).
type Metrics struct {
	reg     *prometheus.Registry
	start   time.Time
	version string
	src     atomic.Pointer[Sources]
	ready   atomic.Bool

	sessions       atomic.Int64
	fromXMPP       atomic.Uint64 // spec 3.20 messages_from_xmpp
	toXMPP         atomic.Uint64 // spec 3.20 messages_to_xmpp
	stanzasIn      *prometheus.CounterVec
	stanzasOut     *prometheus.CounterVec
	loginSeconds   prometheus.Histogram
	loginFailures  *prometheus.CounterVec
	bounced        prometheus.Counter
	queueOverflows prometheus.Counter
	undeliverable  *prometheus.CounterVec
	panics         *prometheus.CounterVec
	rawDropped     *prometheus.CounterVec
	offlineRefused *prometheus.CounterVec
	offlineExpired prometheus.Counter
	uploadBytes    prometheus.Counter
	uploadFiles    prometheus.Counter
	uploadRefused  *prometheus.CounterVec
}

// New returns a Metrics whose registry holds the daemon's metrics, the Go runtime's and
// the process's. version is reported by spectrum2_build_info and Status.
func New(version string) *Metrics {
	m := &Metrics{
		reg:     prometheus.NewRegistry(),
		start:   time.Now(),
		version: version,
		stanzasIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_stanzas_in_total", Help: "Stanzas received from clients, by kind.",
		}, []string{"kind"}),
		stanzasOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_stanzas_out_total", Help: "Stanzas queued to clients, by kind.",
		}, []string{"kind"}),
		loginSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "spectrum2_login_duration_seconds",
			Help:    "Time from SASL credentials to the login decision (legacy network included).",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		loginFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_login_failures_total", Help: "Failed logins, by SASL condition.",
		}, []string{"reason"}),
		bounced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spectrum2_messages_bounced_total", Help: "Error replies sent to clients for their messages.",
		}),
		queueOverflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spectrum2_queue_overflows_total", Help: "Client connections closed because their queue overflowed.",
		}),
		undeliverable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_stanzas_undeliverable_total",
			Help: "Stanzas given up after stream management could not deliver them anywhere, by kind.",
		}, []string{"kind"}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_panics_total",
			Help: "Panics contained by ending one user's (router) or one connection's (c2s) sessions, by component.",
		}, []string{"component"}),
		rawDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_rawxml_dropped_total",
			Help: "RAW_XML stanzas from backends that reached no one, by reason (to, foreign_user, from).",
		}, []string{"reason"}),
		offlineRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_offline_refused_total",
			Help: "Messages for an offline user refused because the user's offline storage was full, by sender (legacy, local).",
		}, []string{"source"}),
		offlineExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spectrum2_offline_expired_total", Help: "Offline messages deleted unread by the expiry sweep.",
		}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spectrum2_upload_bytes_total", Help: "Bytes of files stored by the upload service (PUTs and legacy file transfers).",
		}),
		uploadFiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spectrum2_upload_files_total", Help: "Files stored by the upload service (PUTs and legacy file transfers).",
		}),
		uploadRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "spectrum2_upload_refused_total",
			Help: "Slot requests, PUTs and legacy file transfers refused, by reason (too_large, quota, token, size, type, used, expired, busy, body, error).",
		}, []string{"reason"}),
	}
	m.src.Store(&Sources{})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.stanzasIn, m.stanzasOut, m.loginSeconds, m.loginFailures, m.bounced, m.queueOverflows,
		m.undeliverable, m.panics, m.rawDropped, m.offlineRefused, m.offlineExpired,
		m.uploadBytes, m.uploadFiles, m.uploadRefused,
		&snapshotCollector{m: m},
	)
	return m
}

// Registry is the registry served on /metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetSources sets what is read at scrape time; call it once the components exist.
func (m *Metrics) SetSources(s Sources) { m.src.Store(&s) }

// SetReady marks the daemon ready (/readyz answers 200) or not (during shutdown).
func (m *Metrics) SetReady(ready bool) { m.ready.Store(ready) }

// StanzaIn counts a stanza received from a client. A message with a body to a contact or
// room (a JID with a node: not the gateway's admin interface) counts as messages_from_xmpp.
func (m *Metrics) StanzaIn(el *xmpp.Element) {
	m.stanzasIn.WithLabelValues(kind(el)).Inc()
	if el.Local == "message" && el.Type() != "error" && el.Child(xmpp.NSClient, "body") != nil && hasNode(el.To()) {
		m.fromXMPP.Add(1)
	}
}

// StanzaOut counts a stanza queued to a client (c2s.Observer). A message of type error is
// a bounce; any other message with a body from a contact or room is counted as
// messages_to_xmpp (spec 3.20).
func (m *Metrics) StanzaOut(el *xmpp.Element) {
	m.stanzasOut.WithLabelValues(kind(el)).Inc()
	if el.Local != "message" {
		return
	}
	if el.Type() == "error" {
		m.bounced.Inc()
	} else if el.Child(xmpp.NSClient, "body") != nil && hasNode(el.From()) {
		m.toXMPP.Add(1)
	}
}

// RawXMLDropped implements router.RawDropCounter.
func (m *Metrics) RawXMLDropped(reason string) { m.rawDropped.WithLabelValues(reason).Inc() }

// QueueOverflow counts a connection closed for not reading (c2s.Observer).
func (m *Metrics) QueueOverflow() { m.queueOverflows.Inc() }

// OfflineRefused implements offline.Counter.
func (m *Metrics) OfflineRefused(source string) { m.offlineRefused.WithLabelValues(source).Inc() }

// OfflineExpired implements offline.Counter.
func (m *Metrics) OfflineExpired(n int) { m.offlineExpired.Add(float64(n)) }

// UploadStored implements upload.Counter.
func (m *Metrics) UploadStored(n int64) {
	m.uploadFiles.Inc()
	m.uploadBytes.Add(float64(n))
}

// UploadRefused implements upload.Counter.
func (m *Metrics) UploadRefused(reason string) { m.uploadRefused.WithLabelValues(reason).Inc() }

// StanzaUndeliverable implements router.UndeliverableCounter: a stanza of kind (message,
// presence, iq) that a hibernated session never acknowledged and nobody could take.
func (m *Metrics) StanzaUndeliverable(kind string) { m.undeliverable.WithLabelValues(kind).Inc() }

// Panicked implements router.PanicCounter and c2s.PanicCounter: a panic that ended the
// sessions of one user or one connection instead of the daemon.
func (m *Metrics) Panicked(component string) { m.panics.WithLabelValues(component).Inc() }

// MessagesFromXMPP is the admin counter messages_from_xmpp: messages with a body received
// from clients.
func (m *Metrics) MessagesFromXMPP() uint64 { return m.fromXMPP.Load() }

// MessagesToXMPP is the admin counter messages_to_xmpp: messages with a body sent to clients.
func (m *Metrics) MessagesToXMPP() uint64 { return m.toXMPP.Load() }

// Sessions is the number of bound client sessions.
func (m *Metrics) Sessions() int { return int(m.sessions.Load()) }

// Uptime is the time since New.
func (m *Metrics) Uptime() time.Duration { return time.Since(m.start) }

// kind is the stanza kind label: message, presence or iq, with "-error" for errors.
func kind(el *xmpp.Element) string {
	switch el.Local {
	case "message", "presence", "iq":
	default:
		return "other" // keeps the label set bounded
	}
	if el.Type() == "error" {
		return el.Local + "-error"
	}
	return el.Local
}

// hasNode reports whether the JID string j has a localpart (node@domain...).
func hasNode(j string) bool {
	at := strings.IndexByte(j, '@')
	slash := strings.IndexByte(j, '/')
	return at > 0 && (slash < 0 || at < slash)
}
