package xmpp

import (
	"crypto/tls"
	"testing"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

func features(mechs []string, cbTypes ...string) *stanza.Element {
	f := stanza.New(stanza.NSStream, "features")
	m := stanza.New(stanza.NSSASL, "mechanisms")
	for _, name := range mechs {
		m.Append(stanza.New(stanza.NSSASL, "mechanism").AppendText(name))
	}
	f.Append(m)
	if cbTypes != nil {
		cb := stanza.New("urn:xmpp:sasl-cb:0", "sasl-channel-binding")
		for _, t := range cbTypes {
			cb.Append(stanza.New("urn:xmpp:sasl-cb:0", "channel-binding", "type", t))
		}
		f.Append(cb)
	}
	return f
}

func TestChooseMechanism(t *testing.T) {
	all := []string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}
	tls13 := tls.ConnectionState{Version: tls.VersionTLS13}
	tls12 := tls.ConnectionState{Version: tls.VersionTLS12, TLSUnique: []byte{1}}
	tests := []struct {
		name  string
		f     *stanza.Element
		state tls.ConnectionState
		want  string
	}{
		{"TLS 1.3, exporter announced", features(all, "tls-exporter"), tls13, "SCRAM-SHA-256-PLUS"},
		{"TLS 1.3, only tls-unique announced", features(all, "tls-unique"), tls13, "SCRAM-SHA-256"},
		{"TLS 1.3, nothing announced", features(all), tls13, "SCRAM-SHA-256"},
		{"TLS 1.2, nothing announced", features(all), tls12, "SCRAM-SHA-256-PLUS"},
		{"SHA-1 only", features([]string{"PLAIN", "SCRAM-SHA-1"}), tls13, "SCRAM-SHA-1"},
		{"PLAIN only", features([]string{"PLAIN"}), tls13, "PLAIN"},
		{"nothing usable", features([]string{"X-OAUTH2"}), tls13, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := chooseMechanism(offeredMechanisms(tt.f), channelBindingUsable(tt.f, tt.state))
			if ok != (tt.want != "") || m.Name != tt.want {
				t.Errorf("chose %q (%v), want %q", m.Name, ok, tt.want)
			}
		})
	}
}
