package test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readFor reads whatever arrives within d.
func (r *rawXMPP) readFor(d time.Duration) string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	var b [8192]byte
	for {
		n, err := r.c.Read(b[:])
		r.buf = append(r.buf, b[:n]...)
		r.all = append(r.all, b[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			got := string(r.buf)
			r.buf = nil
			return got
		}
		if err != nil {
			r.t.Fatalf("read: %v", err)
		}
	}
}

var clockStatus = regexp.MustCompile(`<presence from="clock@localhost/bot"[^>]*>.*?<status>It is (\d\d:\d\d:\d\d) UTC</status>`)

// TestCSIClockAndEcho: with the demo clock changing presence every second, an inactive
// client receives nothing from it for a while, then on <active/> exactly one presence for
// clock, the latest; a message with a body from echo arrives at once while inactive.
func TestCSIClockAndEcho(t *testing.T) {
	s := StartServer(t, "[sm]\nenabled = true\n[demo]\nclock_period = \"1s\"\n")
	c := dialRawXMPP(t, s)
	c.login("sleepy%demo", s.Password())
	c.bind("phone")
	c.send(`<enable xmlns='urn:xmpp:sm:3'/><presence/>`)
	c.expect(`<presence from="clock@localhost/bot"`)
	c.expect(`<presence from="clock@localhost/bot"`) // the clock ticks

	c.send(`<inactive xmlns='urn:xmpp:csi:0'/>`)
	c.syncAck()
	since := time.Now().UTC().Format("15:04:05")
	if got := c.readFor(3500 * time.Millisecond); strings.Contains(got, "clock@localhost") {
		t.Errorf("an inactive client got clock's presence: %q", got)
	}

	c.send(`<active xmlns='urn:xmpp:csi:0'/>`)
	flushed := c.syncAck()
	m := clockStatus.FindAllStringSubmatch(flushed, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one presence of clock on <active/>, got %d: %q", len(m), flushed)
	}
	if m[0][1] < since && !wrapped(m[0][1], since) {
		t.Errorf("the flushed presence (%s) is older than the inactive period (from %s)", m[0][1], since)
	}

	c.send(`<inactive xmlns='urn:xmpp:csi:0'/>`)
	c.syncAck()
	c.send(`<message to='echo@localhost' type='chat' id='e1'><body>wake up</body></message>`)
	c.expect(`<body>wake up</body>`)
}

// wrapped reports whether the clock passed midnight between since and at (HH:MM:SS).
func wrapped(at, since string) bool { return since >= "12:00:00" && at < "12:00:00" }
