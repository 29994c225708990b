// Package irc is the native IRC backend, `builtin:irc`: a Go replacement for Spectrum 2's
// libcommuni backend (spec 4.3) built on github.com/lrstanley/girc.
//
// It runs in one of two modes, chosen like libcommuni's by service.irc_server:
//
//   - single network (irc_server set): LOGIN connects at once to the configured server with
//     the legacy name as nickname and answers CONNECTED on RPL_WELCOME; rooms are "#chan",
//     private contacts "nick".
//   - per-room network (irc_server unset): LOGIN is answered with CONNECTED at once and each
//     JOIN_ROOM for "#chan@irc.example.net" connects to that network (once per network);
//     private contacts are "nick@irc.example.net".
//
// Each IRC connection keeps its own view of its channels (participants with op/voice, away
// flags polled with WHO every irc_away_timeout seconds in channels of at most 300 members;
// at most irc_max_room_members, default 5,000, members a channel besides the user,
// rooms.go; the names interned, so that the connections of a backend in one channel share
// them) and reports changes as PARTICIPANT_CHANGED. Everything written to IRC goes
// through one queue per connection, so girc's flood protection never blocks the daemon's
// reader goroutine. A connection costs one goroutine (girc's, reading and running the
// handlers) and a writer while something is queued; at most 4 per server register at once
// (gate.go).
//
// A single-network connection that fails before RPL_WELCOME reports DISCONNECTED at once;
// the daemon's re-login back-off (2 s, 5 s, 10 s) is what outlasts an IRC server restart.
package irc
