package xmpp

import "testing"

func TestErrorElements(t *testing.T) {
	msg := New(NSClient, "message", "from", "a@x/r", "to", "b@y", "id", "7", "type", "chat").
		Append(New(NSClient, "body").AppendText("hi"))
	iq := New(NSClient, "iq", "from", "a@x/r", "to", "y", "id", "8", "type", "get").
		Append(New("urn:q", "query"))
	tests := []struct {
		name string
		el   *Element
		want string
	}{
		{"stream error", StreamErrorElement(CondHostUnknown, ""),
			`<stream:error><host-unknown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`},
		{"stream error with text", (&StreamError{CondPolicyViolation, "too big"}).Element(),
			`<stream:error><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">too big</text></stream:error>`},
		{"message error keeps payload", ErrorReply(msg, ErrTypeModify, StanzaJIDMalformed, ""),
			`<message id="7" from="b@y" to="a@x/r" type="error"><body>hi</body><error type="modify" code="400"><jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`},
		{"iq error drops payload", ErrorReply(iq, ErrTypeCancel, StanzaServiceUnavailable, "no"),
			`<iq id="8" from="y" to="a@x/r" type="error"><error type="cancel" code="503"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no</text></error></iq>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.el.AppendXML(nil, NSClient)); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if ErrorReply(New(NSClient, "message", "type", "error"), ErrTypeCancel, StanzaBadRequest, "") != nil {
		t.Fatal("an error stanza was answered with an error")
	}
}

func TestStreamPrefixStandalone(t *testing.T) {
	got := New(NSStream, "features").String()
	if want := `<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
