// Package pluginserver spawns, supervises and talks to backends (spec sections 1 and 2).
//
// A Server listens on the backend port, spawns backend processes with Spectrum 2's
// command line (`BACKEND --host H --port P --service.backend_id=N CONFIG`, spec 2.2),
// each in its own process group with its output logged line by line, and accepts a
// connection as a backend only when its other end is a socket held by a pending spawn's
// child or the child's descendants, checked before any frame (Linux, peer_linux.go;
// other systems fall back to the pid in the first STATS, peer_other.go; spec 1.8 quirk
// fixed). What a connection sends before its STATS is bounded in bytes and frames, and
// BACKEND_CONFIG at any time (conn.go). A backend's RAW_XML is delivered only when it
// announced features.rawxml, and the Handler asks Serves whether the backend serves the
// user a stanza is for; typed frames about other users are dropped too (Stats.Dropped
// counts all of these). It keeps one backend with
// room ready, assigns users to the oldest backend with room (spec 2.4), pings every
// PingInterval and kills a backend that missed the previous PONG (spec 2.5), retires
// extra idle backends after IdleTimeout and memory-heavy ones once empty (spec 2.8),
// reports a dead backend's users as DISCONNECTED{16} (spec 2.6), and at shutdown sends
// LOGOUT and EXIT, waits ShutdownGrace and kills what is left (spec 2.10).
//
// Frames sent to backends: PING, LOGIN, LOGOUT, EXIT, RAW_XML (SendRawXML) and, through
// Send, CONV_MESSAGE, ROOM_SUBJECT_CHANGED, JOIN_ROOM, LEAVE_ROOM, VCARD, BUDDY_CHANGED,
// BUDDY_REMOVED, STATUS_CHANGED, BUDDY_TYPING, BUDDY_TYPED, BUDDY_STOPPED_TYPING,
// ATTENTION: the types Spectrum 2's C++ plugin handles (spec 1.4). BUDDIES is sent only
// when the backends announced features.send_buddies_on_login.
//
// # Outbound queues
//
// Nothing that writes to a backend waits for it: Send, Login, Logout, the keepalive and
// the fence append to the backend's outbound queue, bounded in frames and bytes
// (Config.QueueFrames, QueueBytes), which one writer goroutine per backend connection
// drains in order (outq.go). A full queue makes Send fail at once with ErrBackendBusy,
// which the router answers with resource-constraint (wait); LOGIN, LOGOUT, PING and EXIT
// have a small reserve past the bounds. A backend that takes no byte for PingInterval
// (stopped, or stuck without reading its socket while it still sends) is handled as hung
// by its writer, like a missed PONG: its process group is killed, it is replaced, its
// users get DISCONNECTED{16} and are logged in again, and the stanza-carrying frames it
// never read, queued or written, are handed back first (below).
//
// # Undelivered stanzas
//
// A frame is written once the bytes are in the kernel, so a backend killed right after
// would lose it in silence. Spectrum 2 does (spec 2.6); we answer instead, with a PING
// fence. Backends read frames in order and answer every PING with a PONG in order
// (spec 1.5), so a PONG proves that everything written before its PING was read. Per
// backend, the frames that carry a client's stanza (CONV_MESSAGE, ATTENTION, VCARD,
// ROOM_SUBJECT_CHANGED, BUDDY_CHANGED, BUDDY_REMOVED, JOIN_ROOM) are kept from the moment
// they are queued until a PONG confirms them (fence.go). After such a frame, a PING is
// queued if none is outstanding; frames queued meanwhile wait for the next one, queued
// when that PONG arrives, so a burst costs one PING. Frames and PINGs are recorded in
// the order of the queue, which is the order on the wire. Keepalive PINGs count as fences
// too: every PING is recorded, so PONGs stay matched. The keepalive itself is unchanged
// (any frame answers it, spec 1.4; a fence PING never gets a backend killed). When a
// backend dies, its unconfirmed frames go back, per user and in order, to the Handler's
// optional UndeliveredHandler, just before that user's DISCONNECTED, so the router can
// bounce the stanzas. Once the backend is declared dead, Send fails with ErrNoBackend
// instead, so every stanza is answered once. The list is empty when idle and bounded
// (maxUnconfirmed frames; past it, frames are not kept and a warning is logged); a
// backend that leaves maxOutstandingPings PINGs unanswered is not fenced at all. What a
// PONG proves is that the backend read the frame, not that the legacy network got it;
// RAW_XML frames are not fenced.
//
// Concurrency: per backend one reader goroutine (which calls the Handler for the
// backend's frames), one writer goroutine and one process reaper; an accept loop, a
// dispatcher that queues LOGINs in FIFO order, and a supervisor for timers. The
// DISCONNECTED frames of a dead backend are delivered from whichever of these noticed
// the death (reader, writer, supervisor or reaper). All mutable state, the backends' and
// their outbound queues included, is guarded by the one Server.mu.
// Lock order: Server.mu first and alone; nobody writes to a connection, calls the Handler
// or waits for a process while holding it (sending a signal and appending to an outbound
// queue are allowed; fork/exec runs in its own goroutine, spawn.go). protocol.Writer
// (the handshake PING, QUERY answers) is only ever used without Server.mu held.
//
// Deliberate changes to Spectrum 2 (spec section in brackets): users go to the oldest
// backend with room, not the newest [2.4]; one backend with room is kept warm and other
// empty backends live IdleTimeout, instead of every empty backend being killed at each
// ping [2.5]; a hung backend's process group gets SIGKILL, not SIGABRT [2.5]; a spawn
// that fails fails the waiting logins instead of being retried forever [2.2];
// memory_collector_time is a duration set by the caller from seconds [2.8 quirk]; a user
// during whose LOGIN a backend died twice gets a backend of their own for the next
// logins, so that they no longer take the other users down with them (quarantine.go) [2.6].
package pluginserver
