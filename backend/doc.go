// Package backend is the Go SDK for Spectrum 2 backends: processes that sign users into a
// legacy network and speak Spectrum 2's protobuf protocol (spec section 1) to the daemon.
//
// A backend implements the small Plugin interface (features, login, logout) and, for each
// further capability it has, one of the optional interfaces (Messenger, Typer, Attender,
// RoomHandler, SubjectSetter, StatusSetter, RosterEditor, VCardProvider, VCardUpdater,
// RawXMLHandler, BuddiesReceiver), discovered by type assertion. Requests of a kind the
// plugin does not implement get the answer a Spectrum 2 backend would give: nothing,
// except a VCARD request, which gets an empty vCard so the client's IQ is answered.
//
// Everything the backend reports (login outcome, contacts, messages, room events) goes
// back through one *Sink, which is safe for use from any goroutine. Connection errors are
// events (Sink.Disconnected), not return values.
//
// Run parses Spectrum 2's backend command line (spec 2.2), reads the configuration file
// with internal/ini, connects to the daemon and serves the protocol: it sends
// BACKEND_CONFIG once (spec 1.7), answers every PING with PONG and STATS (spec 1.5), skips
// frames it does not know instead of stalling (spec 1.4 quirk fixed) and returns when the
// daemon sends EXIT, closes the connection, or ctx ends.
//
// Handlers are called one at a time, in frame order, on the connection's reader goroutine.
// A handler that has to wait for the legacy network should start the work with Sink.Go and
// report the result through the Sink; Run waits for those goroutines before it returns.
//
// A native backend keeps its per-user sessions in a Registry: bounded (MaxUsers of the
// configuration file), safe for those goroutines, and with the replace-on-LOGIN and
// remove-unless-replaced operations every backend needs.
package backend
