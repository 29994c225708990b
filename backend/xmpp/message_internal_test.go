package xmpp

import (
	"testing"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

func TestXHTMLRoundTrip(t *testing.T) {
	inner := `<p>Hello <strong>bold</strong> &amp; <a href="https://x.test/?a=1&amp;b=2">link</a></p>`
	body := parseXHTML(inner)
	if body == nil {
		t.Fatal("not parsed")
	}
	msg := el("message").Append(stanza.New(stanza.NSXHTMLIM, "html").Append(body))
	if got := xhtmlOf(msg); got != inner {
		t.Errorf("round trip:\n got %s\nwant %s", got, inner)
	}
	if parseXHTML("<p>unclosed") != nil || parseXHTML("  ") != nil {
		t.Error("bad XHTML accepted")
	}
}

func TestDelayStamp(t *testing.T) {
	m := el("message").Append(stanza.New(stanza.NSDelay, "delay", "stamp", "2026-11-25T15:04:05.123+01:00"))
	if got := delayStamp(m); got != "20261125T140405" {
		t.Errorf("stamp %q", got)
	}
	if got := delayStamp(el("message")); got != "" {
		t.Errorf("no delay gives %q", got)
	}
}
