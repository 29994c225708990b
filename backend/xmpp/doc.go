// Package xmpp is the native backend `builtin:xmpp`: it bridges users to their accounts on
// other XMPP servers. A user logs in to the gateway as alice%example.org@gateway with the
// password of alice@example.org; the daemon sends LOGIN with legacy name
// alice@example.org (spec 3.3) and this backend signs in to example.org on the user's
// behalf, one client stream per user.
//
// # Client library
//
// The stream is spoken with our own internal/xmpp package in client mode plus
// mellium.im/sasl for SASL. The alternatives were weighed:
//
//   - github.com/xmppo/go-xmpp (the test client elsewhere) has defects for long-lived
//     sessions: it writes the resource unescaped, never reads presence priority, fails Recv
//     on an unknown top-level element (stream management), calls log.Fatal, and can
//     deadlock after a decode error.
//   - mellium.im/xmpp is sound, but brings its own element model and session machinery
//     next to the one the daemon already uses, so every stanza would be converted twice.
//   - internal/xmpp already has a hardened stream Reader (byte budget, depth limit,
//     restricted XML) and a serializer that writes XMPP namespaces correctly; a client needs
//     only STARTTLS, SASL and bind on top (negotiate.go, sasl.go), and unknown top-level
//     elements are simply skipped. mellium.im/sasl supplies SCRAM-SHA-1/-256 with and
//     without channel binding (-PLUS) and PLAIN.
//
// # Login
//
// The server is found by SRV lookup of the remote domain (RFC 6120 section 3.2) unless
// [xmpp] server overrides it. TLS is mandatory (STARTTLS, or direct TLS with
// direct_tls) and certificates are verified against the system roots plus ca_file. SASL
// prefers SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, then PLAIN.
// A SASL failure is DISCONNECTED AUTHENTICATION_FAILED with the server's text; certificate
// problems get the CERT_* codes; a lost stream (also one the server closed, e.g. on
// restart) is DISCONNECTED 0, after which the daemon logs the user in again (spec 3.4).
// Idle streams are checked with XEP-0199 pings.
//
// # Configuration
//
// The [xmpp] section of the backend's INI file (in the daemon's TOML:
// [backend_ini.xmpp]) has these keys, all optional: server ("host:port" instead of the
// SRV lookup), direct_tls (1: TLS from the first byte), ca_file (PEM file of extra trusted
// certificates), resource (default "Spectrum", spec 4.3), connect_timeout (30s),
// ping_interval (60s) and vcard_timeout (40s). [logging] level sets the log level.
//
// # Typed frames, not raw XML
//
// Spectrum 2's swiften backend forwarded stanzas as RAW_XML (spec 3.21). This backend
// speaks the typed protocol instead: the remote roster becomes BUDDY_CHANGED (name = bare
// JID, alias, groups, highest-priority presence, XEP-0153 avatar hash), roster edits and
// subscriptions travel both ways (AUTH_REQUEST), messages carry receipts (XEP-0184, as
// CONV_MESSAGE_ACK), chat states (XEP-0085), attention (XEP-0224), XHTML-IM, delays and
// OOB URLs, carbons (XEP-0280) become carbon CONV_MESSAGEs, vCards are fetched for
// buddies and the user's own avatar is published, and rooms (XEP-0045) map to the
// JOIN_ROOM/PARTICIPANT_CHANGED family. Typed frames keep the daemon's router in charge of
// JIDs, rosters and presence for every backend alike; what the typed protocol cannot
// carry (blocking) is not bridged. The message extensions of issue 24 (corrections,
// replies, reactions, retractions, displayed markers) pass through unchanged in one-to-one
// chats, with the remote messages' own ids as legacy ids (extensions.go), and in rooms,
// with the rooms' stanza-ids (muc_extensions.go). Received messages that ask for a receipt are acknowledged once handed to the
// daemon, because the daemon does not forward its clients' receipts (spec 3.9).
package xmpp
