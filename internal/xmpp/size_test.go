package xmpp

import "testing"

func TestWireSize(t *testing.T) {
	el := New(NSClient, "message", "to", "a@b", "id", "1").Append(
		New(NSClient, "body").AppendText("hello"),
		New(NSSM, "r"),
		New(NSClient, "x", "xml:lang", "en"))
	if got, want := WireSize(el, NSClient), len(el.AppendXML(nil, NSClient)); got != want {
		t.Fatalf("wireSize %d, serialised %d: %s", got, want, el.AppendXML(nil, NSClient))
	}
}
