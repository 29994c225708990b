package router

import (
	"testing"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// TestCapsHash: XEP-0115 section 5.2's simple example, and an extended form (section
// 5.4) changes the hash.
func TestCapsHash(t *testing.T) {
	q := xmpp.New(xmpp.NSDiscoInfo, "query").Append(
		xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "client", "type", "pc", "name", "Exodus 0.9.1"))
	for _, f := range []string{"http://jabber.org/protocol/muc", "http://jabber.org/protocol/disco#info",
		"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#items"} {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	if got := capsHash(q); got != "QgayPKawpkPSDYmwT/WM94uAlu0=" {
		t.Errorf("ver = %q, want XEP-0115's QgayPKawpkPSDYmwT/WM94uAlu0=", got)
	}
	x := xmpp.New(nsData, "x", "type", "result").Append(
		xmpp.New(nsData, "field", "var", "FORM_TYPE").Append(xmpp.New(nsData, "value").AppendText("http://jabber.org/network/serverinfo")),
		xmpp.New(nsData, "field", "var", "abuse-addresses").Append(xmpp.New(nsData, "value").AppendText("mailto:a@example.org")))
	if capsHash(q.Append(x)) == "QgayPKawpkPSDYmwT/WM94uAlu0=" {
		t.Error("the form did not change the hash")
	}
}
