package config

import (
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend/native"
	"github.com/gospectrum/spectrum2/cluster"
)

// option is one configuration key: the single place where its default and meaning are
// written down. docs/configuration.md and etc/spectrum2.toml are generated from this table.
type option struct {
	Section, Key string
	// Default is the value a missing key takes, as the Go type of the field (nil: unset).
	Default any
	// Doc says what the option does; the first sentence is the table summary.
	Doc string
	// Check validates a decoded value of the right type; it returns "" or a message.
	Check func(v any) string
}

// section describes one [section] of the file.
type section struct {
	Name, Doc string
	// Example is commented-out TOML shown after the options in the reference config.
	Example string
}

const (
	mib = 1 << 20
	kib = 1 << 10
)

var sections = []section{
	{Name: "service", Doc: "The gateway itself: its domain, where clients connect, TLS, and how backends are run. " +
		"Names are Spectrum 2's (spec 4.2) wherever it has one."},
	{Name: "identity", Doc: "The service discovery identity of the gateway (XEP-0030)."},
	{Name: "logging", Doc: "Logs of the daemon. Backends get the same values in their INI file."},
	{Name: "limits", Doc: "Resource bounds: stanza size, parser depth, queues, per-IP connection and login rates."},
	{Name: "sm", Doc: "Stream management (XEP-0198): acknowledgements and resumption of broken connections."},
	{Name: "csi", Doc: "Client state indication (XEP-0352): what is held back while a client is inactive."},
	{Name: "muc", Doc: "Group chats."},
	{Name: "storage", Doc: "The durable per-user data (offline messages now): an SQLite file in data_dir by default, " +
		"or a PostgreSQL database that several hosts of one domain share (docs/storage.md). Never holds a password."},
	{Name: "offline", Doc: "Offline messages (XEP-0160): messages with a body that arrive while a user has no resource " +
		"are stored and delivered, with their arrival time, at the user's next login."},
	{Name: "mam", Doc: "The message archive (XEP-0313) and stanza ids (XEP-0359): what users send and receive, in chats " +
		"and in legacy rooms, is archived per user so that clients on several devices catch up (docs/storage.md)."},
	{Name: "pep", Doc: "The personal eventing service (XEP-0163) on every user's bare JID, which keeps bookmarks, avatars and " +
		"OMEMO keys, and private XML storage (XEP-0049): the per-user bounds of what the store keeps (docs/storage.md)."},
	{Name: "upload", Doc: "HTTP File Upload (XEP-0363) at upload.<domain>: clients such as Conversations and Dino send files " +
		"through an HTTP(S) listener of the daemon, and files that legacy contacts send arrive as links (docs/uploads.md). " +
		"Off while listen is empty."},
	{Name: "demo", Doc: "The built-in demo network (backend = \"builtin:demo\"); written into the backend INI file as [demo]."},
	{Name: "features", Doc: "Optional overrides of the features backends announce in BACKEND_CONFIG (spec 1.7). " +
		"Unset keys take the backend's value; set keys win over it."},
	{Name: "registration", Doc: "Optional overrides of the registration.* keys backends announce in BACKEND_CONFIG (spec 1.7)."},
	{Name: "metrics", Doc: "Operations: Prometheus metrics, health probes (/healthz, /readyz) and the JSON status on one HTTP " +
		"listener, off by default. `spectrum2 status` asks the daemon through its admin socket (working_dir/admin.sock), " +
		"which is always on and only open to the daemon's user."},
	{Name: "cluster", Doc: "Several spectrum2 hosts serving one domain, found by clients through DNS SRV records " +
		"(docs/scaling.md). `spectrum2 srv records` prints the zone lines to publish; `spectrum2 srv check` tests them. " +
		"Unused while there is no member.",
		Example: `[cluster]
host = "xmpp1"          # this host's member name
[[cluster.member]]
name = "xmpp1"          # relative to service.jid: xmpp1.DOMAIN
addresses = ["192.0.2.10", "2001:db8::10"]
port = 5222
tls_port = 5223
priority = 10
weight = 50
[[cluster.member]]
name = "xmpp2"
addresses = ["192.0.2.11"]`},
	{Name: "dns", Doc: "The optional authoritative DNS responder for service.jid: it answers SRV, A/AAAA, NS and SOA " +
		"from [cluster], health-checks every member and withdraws failing ones. It needs [[cluster.member]] tables."},
	{Name: "backend_ini", Doc: "Free-form keys for the backend (external Spectrum 2 backends, and builtin:irc in [backend_ini.service] and " +
		"builtin:xmpp in [backend_ini.xmpp]: docs/networks.md), written verbatim into the INI file it " +
		"receives: [backend_ini.SECTION] becomes [SECTION]. Values are strings, numbers, booleans (written 0/1) " +
		"or arrays of those (written as a repeated key). These keys are not checked, but they may not repeat " +
		"a key spectrum2 writes itself (set that in its own section).",
		Example: `[backend_ini.service]
irc_server = ["irc.libera.chat:+6697", "irc.oftc.net"]   # libcommuni: single-network mode
protocol = "prpl-jabber"                                 # libpurple: the prpl id
[backend_ini.purple]
plugins_dir = "./plugins"`},
}

var options = []option{
	// [service]
	{"service", "jid", "", "The gateway's domain (required): users log in as user@jid and legacy contacts appear as name@jid.", checkDomain},
	{"service", "server", "127.0.0.1", "Address clients connect to: an IP address or host name; \"::\" or \"0.0.0.0\" listens on all addresses.", checkHost},
	{"service", "port", 5222, "Client port (STARTTLS, RFC 6120).", checkPort(1)},
	{"service", "tls_port", 5223, "Direct TLS client port (XEP-0368); 0 turns it off.", checkPort(0)},
	{"service", "cert", "", "TLS certificate: a PEM file (then key is required) or a PKCS#12 file (.p12/.pfx, with cert_password). Empty: a self-signed certificate for jid is generated in data_dir.", nil},
	{"service", "key", "", "PEM private key belonging to a PEM cert.", nil},
	{"service", "cert_password", "", "Password of a PKCS#12 cert. Never written to logs or to the backend INI file.", nil},
	{"service", "data_dir", "./data", "Directory for state the daemon keeps, such as the generated certificate. Relative paths are relative to the daemon's working directory; $jid is replaced by jid.", checkNonEmpty},
	{"service", "require_encryption", true, "Refuse SASL before TLS: passwords never cross the network in clear text.", nil},
	{"service", "backend", "builtin:demo", "The backend: builtin:NAME runs a native backend of this binary (" + strings.Join(native.Names(), ", ") + "), anything else is the command line of a Spectrum 2 backend executable (a relative path is relative to working_dir).", checkBackend},
	{"service", "allowed_servers", []string(nil), "Legacy servers users may make the native backends connect to: host names, IP addresses, CIDR prefixes (\"10.0.0.0/8\"), or \"*\" for any name. " +
		"builtin:xmpp logs in to any domain a user names while no host name is listed, otherwise only to the listed ones; builtin:irc's per-room mode (no irc_server) joins rooms only on listed servers, none by default. " +
		"Either connects to a loopback, link-local, private or multicast address (checked after DNS and SRV resolution) only when that address, or the server's name, is listed, so tests and private servers must be listed; irc_server needs no entry (docs/networks.md). " +
		"Written into the backend INI file as [service] allowed_servers. Spectrum 2 uses the name for the domains allowed to register in gateway mode (spec 4.2), which server mode has no use for.", checkAllowed},
	{"service", "backend_host", "127.0.0.1", "Address the backend listener binds and backends connect to (--host).", checkHost},
	{"service", "backend_port", 0, "Port of the backend listener; 0 lets the OS choose.", checkPort(0)},
	{"service", "portfile", "", "If set, the backend listener's port is written to this file (spec 2.1).", nil},
	{"service", "working_dir", "", "Working directory of backends; the backend INI file and the admin socket are here. Empty: data_dir/run. $jid is replaced by jid.", nil},
	{"service", "users_per_backend", 0, "How many users share one backend process (spec 2.4). 0 chooses by backend: 1000 for a native backend (builtin:*), one Go process whose fixed cost (some 19 MB RSS, 15 MB of it the binary's pages shared with the daemon, 3 to 4.5 MB its own) comes to about 4 KB PSS per user at 1000, beside some 16 KB for the user's session (docs/benchmarks.md, memory at the shipped defaults); more users per backend would save part of that, but put more users' legacy sessions into one process, its crash and its re-login storm. 100, Spectrum 2's default chosen for libpurple processes, for a backend executable.", checkMin(0)},
	{"service", "login_delay", time.Duration(0), "Pause between two logins sent to backends, to spare the legacy network (spec 2.4).", nil},
	{"service", "login_timeout", 60 * time.Second, "How long a login may wait for the backend's CONNECTED before it fails.", checkMinDur(time.Second)},
	{"service", "backend_ping_interval", 20 * time.Second, "Interval of PINGs to backends; one unanswered PING kills the backend (spec 2.5).", checkMinDur(time.Second)},
	{"service", "backend_idle_timeout", 5 * time.Minute, "A backend without users is stopped after this long; 0 stops it at the next ping (spec 2.5).", nil},
	{"service", "memory_collector_time", time.Duration(0), "Interval of the memory check that retires bloated backends (spec 2.8); 0 turns it off.", nil},
	{"service", "admin_jid", []string(nil), "Bare JIDs of administrators (spec 3.20), e.g. [\"admin@localhost\"].", checkJIDs},
	{"service", "admin_password", "", "Password administrators log in with (spec 3.3). Never written to logs or to the backend INI file.", nil},
	{"service", "abuse_addresses", []string(nil), "Where to report abuse of this server, as URIs (\"mailto:abuse@example.org\", \"xmpp:abuse@example.org\", \"https://...\"), in the server's disco#info (XEP-0157).", checkURIs},
	{"service", "admin_addresses", []string(nil), "How to reach the server's administrators, as URIs, in the server's disco#info (XEP-0157).", checkURIs},
	{"service", "support_addresses", []string(nil), "Where users get help, as URIs, in the server's disco#info (XEP-0157).", checkURIs},
	{"service", "backend_query", false, "Answer spectrum2_manager's QUERY admin commands (spec 1.8, 3.20) on the backend port, only to processes of the daemon's own user (on Linux the connection's socket must belong to that user; elsewhere any loopback address); such connections never become backends.", nil},
	{"service", "jid_escaping", true, "Escape legacy contact names with XEP-0106 rather than % (spec 3.7); a backend announcing disable_jid_escaping turns it off.", nil},
	{"service", "enable_xhtml", true, "Add XHTML-IM to messages from backends that carry HTML (spec 3.10).", nil},
	{"service", "oob_replace_body", true, "For a backend message whose HTML holds images: one out-of-band link (XEP-0066) to the first image, and that URL as the body (spec 3.10). With both oob options false every image gets a link and the body is kept.", nil},
	{"service", "oob_split", false, "For a backend message whose HTML holds images: split it into text messages and one message per image, each with its own out-of-band link (spec 3.10).", nil},
	{"service", "max_room_list_size", 100, "Most rooms of the backend's global room list shown in service discovery (spec 3.13).", nil},
	{"service", "correction_prefix", "", "For a backend that does not carry corrections (features.corrections, docs/protocol-extensions.md): the text put before a client's XEP-0308 correction, which goes to the contact as a new message, e.g. \"* \"; \"\" sends the corrected text as it is.", nil},
	{"service", "correction_fallback", "prefix", "For a backend that does not carry corrections: \"prefix\" sends a client's XEP-0308 correction as the corrected text after correction_prefix; \"sed\" sends a line \"s/old/new\" naming the words that changed, when the corrected message's text is known (the router keeps the user's recent messages to each contact, bounded) and one such line says it, else the corrected text as with \"prefix\" (docs/protocol-extensions.md).", checkCorrectionFallback},
	{"service", "reaction_fallback", "error", "For a backend that does not carry reactions (features.reactions): \"error\" answers the client's XEP-0444 reaction with feature-not-implemented, \"text\" sends it to the contact as a line such as \"reacted 👍\", \"drop\" drops it (docs/protocol-extensions.md).", checkReactionFallback},
	{"service", "more_resources", false, "When a second resource logs in, do not send \"You have signed on from another location.\" to the others (spec 3.3).", nil},
	{"service", "server_mode", true, "Accepted for Spectrum 2 compatibility and ignored: spectrum2 always runs in server mode.", nil},
	// [identity]
	{"identity", "name", "Spectrum 2 Transport", "Name in service discovery.", nil},
	{"identity", "category", "gateway", "Service discovery category.", checkNonEmpty},
	{"identity", "type", "", "Service discovery type, e.g. \"irc\" (XEP-0100 registry).", nil},
	// [logging]
	{"logging", "level", "info", "Least severe level logged: trace, debug, info, warn or error.", checkLevel},
	{"logging", "format", "auto", "auto (console on a terminal, JSON otherwise), console or json.", checkFormat},
	// [limits]
	{"limits", "max_stanza_bytes", 256 * kib, "Largest stanza a client may send, in bytes; larger closes the stream with policy-violation.", checkMin(4 * kib)},
	{"limits", "max_depth", 32, "Deepest element nesting a client may send.", checkMin(4)},
	{"limits", "negotiation_timeout", 30 * time.Second, "Time a client has from connecting to a bound resource.", checkMinDur(time.Second)},
	{"limits", "queue_size", 20000, "Stanzas queued to one connection; a client that does not read beyond that is disconnected. A login sends one presence per online contact at once, so keep it above the largest roster.", checkMin(16)},
	{"limits", "max_conns_per_ip", 100, "Simultaneous client connections from one source (an IPv4 or IPv6 prefix: ipv4_prefix, ipv6_prefix); more are refused with policy-violation. 0 means no limit.", nil},
	{"limits", "logins_per_minute_per_ip", 60, "Login attempts per minute from one source (an IPv4 or IPv6 prefix: ipv4_prefix, ipv6_prefix); 0 means no limit.", nil},
	{"limits", "login_failures", 10, "Failed logins of one account, or from one source (ipv4_prefix, ipv6_prefix), within login_failure_window after which further attempts are refused with temporary-auth-failure without asking the legacy network. Attempts under way count; a successful login forgets the account's failures.", checkMin(1)},
	{"limits", "login_failure_window", 10 * time.Minute, "The window of login_failures, from the first failure counted.", checkMinDur(time.Second)},
	{"limits", "login_backoff", time.Second, "How long the answer to a failed login waits, and so the next attempt of that account or source; doubled per failure up to login_backoff_max. A check against a user's live session or admin_password is paced the same.", checkMinDur(time.Millisecond)},
	{"limits", "login_backoff_max", 30 * time.Second, "The longest wait of login_backoff.", checkMinDur(time.Millisecond)},
	{"limits", "ipv4_prefix", 32, "Prefix length that groups IPv4 addresses into one source for the per-source limits.", checkRange(8, 32)},
	{"limits", "ipv6_prefix", 64, "Prefix length that groups IPv6 addresses into one source for the per-source limits: one /64 is usually one subscriber, who could otherwise connect from 2^64 addresses.", checkRange(16, 128)},
	{"limits", "max_users", 0, "Users the daemon holds at once (a legacy session, a login under way, or messages kept for the next login); a new user's login past it gets temporary-auth-failure saying so. `spectrum2 status` shows how close it is. 0 means no limit.", checkMin(0)},
	{"limits", "max_backends", 0, "Backend processes running or starting at once (each takes service.users_per_backend users); when all are full, a login that needs another gets temporary-auth-failure saying so. `spectrum2 status` shows how close it is. 0 means no limit.", checkMin(0)},
	{"limits", "max_connections", 50000, "Simultaneous client connections in all; more are refused with resource-constraint. 0 means no limit.", nil},
	{"limits", "max_negotiating", 2000, "Simultaneous client connections that have not bound a resource yet (TLS, SASL, the legacy login); more are refused with resource-constraint. 0 means no limit.", nil},
	{"limits", "preauth_stanza_bytes", 8 * kib, "Largest element a client may send before it has authenticated, in bytes (max_stanza_bytes applies after); larger closes the stream with policy-violation.", checkMin(kib)},
	{"limits", "session_send_bytes", 8 * mib, "Bytes waiting for one client: queued, being written and, with stream management, not yet acknowledged. Past it the stream ends with policy-violation and the messages waiting go to another resource or are kept, as on any close. A login or a room join sends a presence per contact or occupant at once (some 300 bytes each): the default holds the login of a roster of 20,000 online contacts (queue_size's default); keep it above that for the largest roster and room.", checkMin(64 * kib)},
	{"limits", "stanzas_per_second", 50, "Stanzas per second one session may send on average; faster ones are read more slowly (TCP pushes back), none is dropped.", checkMin(1)},
	{"limits", "stanza_burst", 200, "Stanzas a session may send at once before stanzas_per_second slows it: a login's roster, presence, disco and room joins fit.", checkMin(1)},
	{"limits", "bytes_per_second", 64 * kib, "Bytes per second one session may send on average, counted per stanza (Prosody's mod_limits rate, ejabberd's shaper); faster ones are read more slowly (TCP pushes back), none is dropped. Files go through HTTP upload, not the stream.", checkMin(kib)},
	{"limits", "byte_burst", mib, "Bytes a session may send at once before bytes_per_second slows it: a login, an avatar published by PEP, a few large messages. Keep it above max_stanza_bytes.", checkMin(4 * kib)},
	{"limits", "client_ping_interval", 60 * time.Second, "A client silent this long gets an XEP-0199 ping; 0 turns it off.", nil},
	{"limits", "gc_percent", 50, "Least growth of the heap between two garbage collections, in percent of the heap (Go's GOGC), for the daemon and the native backends. A small heap may double (Go's default, cheap for bursts of logins); a large one, of many sessions, grows by about 32 MB but never less than this. Once the gateway is quiet the free heap goes back to the OS. The GOGC environment variable, when set, wins and turns this off.", checkMin(10)},
	{"limits", "max_frame_bytes", 16 * mib, "Largest protocol frame a backend may send, in bytes.", checkMin(64 * kib)},
	{"limits", "backend_queue_frames", 4096, "Frames waiting to be written to one backend process; past it (or backend_queue_bytes) a message to that backend bounces with resource-constraint (wait) at once instead of the user waiting on a slow backend. A backend that takes no frames for longer than its ping timeout is replaced as hung.", checkMin(64)},
	{"limits", "backend_queue_bytes", 8 * mib, "Bytes waiting to be written to one backend process, frames included; see backend_queue_frames. Keep it above max_stanza_bytes.", checkMin(64 * kib)},
	// [sm]
	{"sm", "enabled", true, "Offer stream management to clients.", nil},
	{"sm", "ack_every", 5, "Request an acknowledgement after this many unacknowledged stanzas; 0: only by time.", nil},
	{"sm", "ack_after", 30 * time.Second, "Request an acknowledgement when stanzas stay unacknowledged this long.", checkMinDur(time.Second)},
	{"sm", "resume_timeout", 300 * time.Second, "How long a broken stream stays resumable (hibernated).", nil},
	{"sm", "max_queue", 1000, "Most unacknowledged stanzas kept for resumption; more closes the stream.", checkMin(1)},
	{"sm", "linger", 10 * time.Minute, "How long a user's legacy session stays signed in after the last client stream ended while messages were waiting (unacknowledged with stream management, or arriving then): the messages go to the offline store ([offline]) and reach the next login; the linger keeps the legacy session up so that what legacy contacts send meanwhile is stored too. A message the store cannot take is kept in memory for this long.", nil},
	// [csi]
	{"csi", "max_held", 100, "Presences held back while a client is inactive; when more pile up they are all sent.", nil},
	// [muc]
	{"muc", "history", 20, "Messages of room history kept and sent to a joining occupant.", nil},
	{"storage", "driver", "sqlite", "The database: \"sqlite\" (a file on this host) or \"postgres\" (shared by the hosts of a cluster, docs/scaling.md).", checkStorageDriver},
	{"storage", "dsn", "", "Where the database is: for sqlite a file path (empty: data_dir/spectrum2.db), for postgres a connection string such as \"postgres://spectrum2@db.example:5432/spectrum2?sslmode=verify-full\" (required; a password in it stays in this file).", nil},
	{"offline", "max_messages", 500, "Messages stored per user; past it a sender on this server gets resource-constraint and one from a legacy network is logged and counted (spectrum2_stanzas_undeliverable_total).", checkMin(1)},
	{"offline", "expire_after", 7 * 24 * time.Hour, "Stored messages older than this are deleted by a sweep once a minute.", checkMinDur(time.Minute)},
	// [mam]
	{"mam", "enabled", true, "Archive messages and answer MAM queries; false turns the archive off (queries get service-unavailable, no stanza-ids).", nil},
	{"mam", "default", "always", "What is archived for a user who set no preferences: \"always\", \"never\" or \"roster\" (contacts on the roster and joined rooms).", checkMAMDefault},
	{"mam", "max_page", 250, "Most results of one query page; a client asking for more gets this many.", checkRange(1, 10000)},
	{"mam", "max_messages", 10000, "Archived messages kept per user, rooms included; past it the oldest 5 % are deleted.", checkMin(1)},
	{"mam", "expire_after", 7 * 24 * time.Hour, "Archived messages older than this are deleted by a sweep every sweep_every; 0 keeps them (up to max_messages).", checkExpireOrZero},
	{"mam", "sweep_every", time.Minute, "How often the expiry sweep runs; each run deletes at most 4,000 messages, so that a backlog is worked off over several runs.", checkMinDur(time.Second)},
	// [pep]
	{"pep", "max_nodes", 64, "Nodes one user may have; creating one more gets policy-violation.", checkRange(1, 10000)},
	{"pep", "max_item_bytes", 256 * kib, "Largest payload of one item (and of one private XML element) in bytes; a bigger one gets not-acceptable with payload-too-big. Keep it below limits.max_stanza_bytes.", checkRange(1*kib, 16*mib)},
	{"pep", "max_items", 256, "Most items one node keeps (what pubsub#max_items \"max\" means); a node configured for more is refused.", checkRange(1, 10000)},
	{"pep", "max_private", 32, "Private XML namespaces (XEP-0049) one user may keep; one more gets policy-violation.", checkRange(1, 1000)},
	// [upload]
	{"upload", "listen", "", "HTTP(S) address of the upload service, e.g. \"0.0.0.0:5443\"; empty turns the service off (no upload.<domain>). Off by default: it is a public listener, and its URL depends on DNS or a reverse proxy.", checkListen},
	{"upload", "public_url", "", "The URL clients reach listen at, e.g. \"https://upload.example.org\" behind a reverse proxy; files are at public_url/upload/ID/NAME. Empty: https://<service.jid>:<listen's port> (http:// when tls is off).", checkURL},
	{"upload", "tls", true, "Serve HTTPS with the daemon's certificate (service.cert, or the generated one; reloaded on SIGHUP). Turn it off only behind a reverse proxy that terminates TLS.", nil},
	{"upload", "dir", "", "Directory of the uploaded files. Empty: data_dir/uploads. The hosts of a cluster share one directory (and a postgres storage).", nil},
	{"upload", "max_file_size", 50 * mib, "Largest file in bytes, of a client's upload and of a file from a legacy contact; announced in disco#info (max-file-size).", checkMin(1)},
	{"upload", "quota", 500 * mib, "Bytes one user's files (and open slots) may hold until they expire; past it a slot request gets resource-constraint and a legacy file is refused with a message.", checkMin(1)},
	{"upload", "expire_after", 7 * 24 * time.Hour, "Files are deleted this long after their upload, by a sweep once a minute.", checkMinDur(time.Minute)},
	{"upload", "slot_expire_after", 5 * time.Minute, "A slot that was not used for a PUT within this long expires.", checkMinDur(time.Second)},
	{"upload", "max_connections", 1024, "Simultaneous connections to the upload listener in all; more are closed at once.", checkMin(1)},
	{"upload", "max_connections_per_ip", 32, "Simultaneous connections to the upload listener from one address (browsers open 6 per host, a phone a few more), except from trusted_proxies; more are closed at once. 0 means no limit per address.", checkMin(0)},
	{"upload", "trusted_proxies", []string{"127.0.0.1", "::1"}, "Addresses or CIDR prefixes of reverse proxies in front of the upload listener: their connections carry many users, so max_connections_per_ip does not apply to them (limit clients at the proxy).", checkIPPrefixes},
	// [demo]
	{"demo", "contacts", 0, "Extra generated contacts in every demo roster (for tests of large rosters).", checkMax(100000)},
	{"demo", "slow_login_delay", 5 * time.Second, "How long the demo's slow login user takes to connect.", nil},
	{"demo", "clock_period", 60 * time.Second, "Period of the demo clock contact's status updates.", checkMinDur(time.Second)},
	// [metrics]
	{"metrics", "listen", "", "HTTP address for /metrics, /healthz, /readyz and /status, e.g. \"127.0.0.1:9090\"; empty turns it off. It has no authentication: bind it to loopback or a private network.", checkListen},
	{"metrics", "pprof", false, "Also serve Go's profiler under /debug/pprof/ on the metrics listener.", nil},
	// [cluster]
	{"cluster", "host", "", "This host's member name (one of the member names).", nil},
	{"cluster", "ttl", cluster.DefaultZoneTTL, "TTL of the records `spectrum2 srv records` prints.", checkMinDur(time.Second)},
	{"cluster", "affinity", false, "Keep each user on one host: a host that does not own a user's bare JID (rendezvous hashing over the members its health checks see up, with the [dns] health settings) answers the login with the see-other-host stream error naming the owner, before any legacy login. A client that comes back without following it is served locally. Needs host.", nil},
	{"cluster", "member", []cluster.Member(nil), "The hosts of the cluster, this one included, as [[cluster.member]] tables with name, addresses, port, tls_port, priority and weight (see the example).", nil},
	// [dns]
	{"dns", "listen", "", "UDP and TCP address of the responder, e.g. \"0.0.0.0:53\"; empty turns it off.", nil},
	{"dns", "ttl", cluster.DefaultDNSTTL, "TTL of the answers: short, so that a withdrawn member leaves caches soon.", checkMinDur(time.Second)},
	{"dns", "ns", []string(nil), "Name servers of the zone; empty: the member names.", nil},
	{"dns", "mbox", "", "SOA responsible mailbox as a name; empty: hostmaster.DOMAIN.", nil},
	{"dns", "health_interval", cluster.DefaultHealthInterval, "Time between two health checks of one member.", checkMinDur(100 * time.Millisecond)},
	{"dns", "health_timeout", cluster.DefaultHealthTimeout, "Bound of one health check (connect and stream open).", checkMinDur(100 * time.Millisecond)},
	{"dns", "fail_after", cluster.DefaultFailAfter, "Consecutive failed checks that withdraw a member.", checkMin(1)},
	{"dns", "rise_after", cluster.DefaultRiseAfter, "Consecutive good checks that bring a withdrawn member back.", checkMin(1)},
	// [features] (spec 1.7)
	{"features", "receipts", (*bool)(nil), "Message receipts (XEP-0184) are advertised.", nil},
	{"features", "muc", (*bool)(nil), "Group chats are advertised.", nil},
	{"features", "rawxml", (*bool)(nil), "The backend speaks raw XMPP stanzas (spec 3.21).", nil},
	{"features", "disable_jid_escaping", (*bool)(nil), "Turns jid_escaping off.", nil},
	{"features", "send_buddies_on_login", (*bool)(nil), "The roster is sent as one BUDDIES frame at login.", nil},
	// [registration] (spec 1.7)
	{"registration", "needPassword", (*bool)(nil), "The legacy network needs a password.", nil},
	{"registration", "needRegistration", (*bool)(nil), "Users must register before logging in.", nil},
	{"registration", "extraField", []string(nil), "Extra registration form fields.", nil},
}
