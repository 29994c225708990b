// Package bench is the load generator behind `make bench`: a deliberately small XMPP client
// (raw XML over STARTTLS, no XML library, no per-stanza allocation beyond the read buffer) that
// logs in thousands of sessions, holds them, bounces messages off a peer and times rosters, and
// the harness that starts spectrum2 and Prosody side by side, pinned to their own core, and
// measures their CPU and memory from /proc.
//
// The generator is kept cheap on purpose: every figure it reports comes with the generator's
// own CPU time so that a result limited by the generator rather than the server is visible.
// Latencies of the open-loop message test are measured from the intended send time, so a
// server that stalls cannot hide its queueing (no coordinated omission).
package bench
