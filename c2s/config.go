package c2s

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Defaults used when a Config field is zero.
const (
	DefaultLoginTimeout       = 60 * time.Second
	DefaultNegotiationTimeout = 30 * time.Second
	DefaultPingInterval       = 120 * time.Second
	DefaultQueueSize          = 20000
	// XEP-0198 defaults (issue: sm.ack_every, sm.ack_after, sm.resume_timeout, sm.max_queue).
	DefaultAckEvery      = 5
	DefaultAckAfter      = 30 * time.Second
	DefaultResumeTimeout = 300 * time.Second
	DefaultSMMaxQueue    = 1000
	// Budgets (issue 18): bytes waiting for one client, the stanza rate of one session,
	// and the stanza size before authentication (nothing before SASL needs more).
	DefaultSessionSendBytes   = 8 << 20
	DefaultStanzasPerSecond   = 50
	DefaultStanzaBurst        = 200
	DefaultBytesPerSecond     = 64 << 10
	DefaultByteBurst          = 1 << 20
	DefaultPreauthStanzaBytes = 8 << 10
	// Failed logins (issue 18): the threshold per account and per source within the
	// window, and the back-off of the answer to a failure, doubling up to its maximum.
	DefaultLoginFailures      = 10
	DefaultLoginFailureWindow = 10 * time.Minute
	DefaultLoginBackoff       = time.Second
	DefaultLoginBackoffMax    = 30 * time.Second
	// DefaultCSIMaxHeld bounds what an inactive client (XEP-0352) has held back.
	DefaultCSIMaxHeld = 100
	// writeTimeout bounds one write to a client: a client that does not read is dropped.
	writeTimeout = 30 * time.Second
	// closeGrace is how long we wait for the client's end of the stream after ours, so that
	// closing the socket does not reset the connection before the client read our error.
	closeGrace = 2 * time.Second
	// maxAuthFailures: after this many failed SASL attempts the stream is closed.
	maxAuthFailures = 3
)

// Config configures the client listener.
type Config struct {
	Domain   string   // service.jid: the only domain clients may address in the stream header
	Addrs    []string // STARTTLS listeners host:port, e.g. "127.0.0.1:5222", "[::]:5222"
	TLSAddrs []string // direct TLS (XEP-0368) listeners; empty = off

	// CertFile and KeyFile are PEM files; or CertFile is PKCS#12 (.p12/.pfx) opened with
	// CertPassword. With no certificate configured, an ECDSA P-256 self-signed certificate
	// for Domain is generated once into DataDir/cert.pem and DataDir/key.pem and reused.
	CertFile, KeyFile string
	CertPassword      string
	DataDir           string

	// RequireEncryption forbids SASL before TLS. False is meant for tests only.
	RequireEncryption bool

	LoginTimeout       time.Duration // Authenticate deadline, then temporary-auth-failure
	NegotiationTimeout time.Duration // the whole stream negotiation, then connection-timeout
	PingInterval       time.Duration // ping a client silent this long; close after another one
	Limits             xmpp.Limits   // stanza size and depth
	QueueSize          int           // outgoing stanzas per connection; overflow closes it
	// SessionSendBytes bounds the bytes waiting for one client: queued, being written and
	// (XEP-0198) unacknowledged; past it the stream ends with policy-violation.
	SessionSendBytes int
	// StanzasPerSecond and StanzaBurst are the token bucket of a session's reader: past the
	// burst, reading waits for tokens (TCP pushes back); no stanza is dropped for it.
	StanzasPerSecond float64
	StanzaBurst      int
	// BytesPerSecond and ByteBurst are the same for the bytes of those stanzas.
	BytesPerSecond float64
	ByteBurst      int
	// PreauthStanzaBytes is the stanza size limit until SASL succeeds (Limits after it).
	PreauthStanzaBytes int64

	SM         SMConfig // stream management (XEP-0198)
	CSIMaxHeld int      // stanzas held for an inactive client (XEP-0352); past it all flush
	// StreamFeatures, called for each stream after SASL, returns what is added to its
	// <stream:features/> after our own: what the router and the server features offer
	// (router.Router.StreamFeatures, e.g. the server's XEP-0115 <c/>, whose hash changes
	// when a backend announces MUC). c2s does not look inside; nil adds nothing.
	StreamFeatures func() []*xmpp.Element

	MaxConnsPerIP        int // concurrent connections per source prefix; 0 = unlimited
	LoginsPerMinutePerIP int // SASL attempts per minute per source prefix; 0 = unlimited
	// IPv4Prefix and IPv6Prefix group source addresses for the two limits above: one /64
	// is usually one subscriber, who must not get a limit per address (0: 32 and 64).
	IPv4Prefix, IPv6Prefix int
	MaxConnections         int // concurrent connections in all; 0 = unlimited
	MaxNegotiating         int // connections not yet bound (TLS, SASL, login); 0 = unlimited
	// LoginFailures failed logins of one account (bare JID) or from one source within
	// LoginFailureWindow refuse further attempts with temporary-auth-failure, unasked.
	// The answer to a failure waits LoginBackoff, doubled per failure of the key up to
	// LoginBackoffMax, and so does the key's next attempt.
	LoginFailures                 int
	LoginFailureWindow            time.Duration
	LoginBackoff, LoginBackoffMax time.Duration

	// Redirector sends users another host owns there with see-other-host; nil = off.
	Redirector Redirector

	// Panics counts the panics of connection goroutines that were contained (each ends
	// its connection with internal-server-error); nil counts none.
	Panics PanicCounter

	idleHandoff time.Duration // see the constant idleHandoff; tests shorten it

	Log zerolog.Logger
}

func (c Config) withDefaults() Config {
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = DefaultLoginTimeout
	}
	if c.NegotiationTimeout <= 0 {
		c.NegotiationTimeout = DefaultNegotiationTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.idleHandoff <= 0 {
		c.idleHandoff = idleHandoff
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.SessionSendBytes <= 0 {
		c.SessionSendBytes = DefaultSessionSendBytes
	}
	if c.StanzasPerSecond <= 0 {
		c.StanzasPerSecond = DefaultStanzasPerSecond
	}
	if c.StanzaBurst <= 0 {
		c.StanzaBurst = DefaultStanzaBurst
	}
	if c.BytesPerSecond <= 0 {
		c.BytesPerSecond = DefaultBytesPerSecond
	}
	if c.ByteBurst <= 0 {
		c.ByteBurst = DefaultByteBurst
	}
	if c.PreauthStanzaBytes <= 0 {
		c.PreauthStanzaBytes = DefaultPreauthStanzaBytes
	}
	if c.IPv4Prefix <= 0 || c.IPv4Prefix > 32 {
		c.IPv4Prefix = 32
	}
	if c.IPv6Prefix <= 0 || c.IPv6Prefix > 128 {
		c.IPv6Prefix = 64
	}
	if c.LoginFailures <= 0 {
		c.LoginFailures = DefaultLoginFailures
	}
	if c.LoginFailureWindow <= 0 {
		c.LoginFailureWindow = DefaultLoginFailureWindow
	}
	if c.LoginBackoff <= 0 {
		c.LoginBackoff = DefaultLoginBackoff
	}
	if c.LoginBackoffMax <= 0 {
		c.LoginBackoffMax = DefaultLoginBackoffMax
	}
	if c.CSIMaxHeld <= 0 {
		c.CSIMaxHeld = DefaultCSIMaxHeld
	}
	c.SM = c.SM.withDefaults()
	return c
}

// SMConfig configures stream management (XEP-0198).
type SMConfig struct {
	Enabled       bool          // advertise urn:xmpp:sm:3 and accept <enable/> and <resume/>
	AckEvery      int           // request an ack after this many unacknowledged stanzas
	AckAfter      time.Duration // ... or after this long with stanzas unacknowledged
	ResumeTimeout time.Duration // how long a broken resumable session stays hibernated
	MaxQueue      int           // unacknowledged plus queued stanzas; past it the session ends
}

func (c SMConfig) withDefaults() SMConfig {
	if c.AckEvery <= 0 {
		c.AckEvery = DefaultAckEvery
	}
	if c.AckAfter <= 0 {
		c.AckAfter = DefaultAckAfter
	}
	if c.ResumeTimeout <= 0 {
		c.ResumeTimeout = DefaultResumeTimeout
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = DefaultSMMaxQueue
	}
	return c
}
