package xmpp

import (
	"crypto/tls"
	"encoding/base64"
	"slices"
	"strings"

	"mellium.im/sasl"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// mechanisms in order of preference: channel-bound SCRAM, SCRAM, then PLAIN (which only
// ever travels inside verified TLS).
var mechanisms = []sasl.Mechanism{
	sasl.ScramSha256Plus, sasl.ScramSha1Plus, sasl.ScramSha256, sasl.ScramSha1, sasl.Plain,
}

// authenticate runs SASL (RFC 6120 section 6) with the best mechanism both sides have.
// A <failure/> becomes AUTHENTICATION_FAILED with the server's text.
func (c *conn) authenticate(features *stanza.Element, acct account) error {
	offered := offeredMechanisms(features)
	state := c.nc.(*tls.Conn).ConnectionState()
	mech, ok := chooseMechanism(offered, channelBindingUsable(features, state))
	if !ok {
		return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_IMPOSSIBLE,
			text: "no supported SASL mechanism offered"}
	}
	c.mech = mech.Name
	neg := sasl.NewClient(mech,
		sasl.Credentials(func() ([]byte, []byte, []byte) {
			return []byte(acct.local), []byte(acct.password), nil
		}),
		sasl.RemoteMechanisms(offered...),
		sasl.TLSState(state))
	more, resp, err := neg.Step(nil)
	if err != nil {
		return err
	}
	auth := stanza.New(stanza.NSSASL, "auth", "mechanism", mech.Name).AppendText(encode64(resp))
	if err := c.writeNow(auth.AppendXML(nil, stanza.NSClient)); err != nil {
		return err
	}
	return c.saslLoop(neg, more)
}

// saslLoop answers challenges until <success/> or <failure/>; more says whether the
// mechanism still expects data from the server.
func (c *conn) saslLoop(neg *sasl.Negotiator, more bool) error {
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		data, derr := base64.StdEncoding.DecodeString(el.Text())
		switch {
		case el.Is(stanza.NSSASL, "failure"):
			return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED,
				text: saslFailureText(el)}
		case derr != nil:
			return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR,
				text: "bad base64 from the server's SASL", err: derr}
		case el.Is(stanza.NSSASL, "success"):
			// SCRAM's server signature arrives with <success/>: check it, or the server
			// never proved that it knows the password.
			if more {
				if _, _, err := neg.Step(data); err != nil {
					return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED,
						text: "the server's SASL signature is wrong", err: err}
				}
			}
			return nil
		case el.Is(stanza.NSSASL, "challenge"):
			var resp []byte
			more, resp, err = neg.Step(data)
			if err != nil {
				return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED,
					text: "SASL failed", err: err}
			}
			r := stanza.New(stanza.NSSASL, "response").AppendText(encode64(resp))
			if err := c.writeNow(r.AppendXML(nil, stanza.NSClient)); err != nil {
				return err
			}
		}
	}
}

func encode64(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

func offeredMechanisms(features *stanza.Element) []string {
	var out []string
	if m := features.Child(stanza.NSSASL, "mechanisms"); m != nil {
		for _, ch := range m.Children() {
			if ch.Local == "mechanism" {
				out = append(out, ch.Text())
			}
		}
	}
	return out
}

func chooseMechanism(offered []string, plusOK bool) (sasl.Mechanism, bool) {
	for _, m := range mechanisms {
		if strings.HasSuffix(m.Name, "-PLUS") && !plusOK {
			continue
		}
		if slices.Contains(offered, m.Name) {
			return m, true
		}
	}
	return sasl.Mechanism{}, false
}

// channelBindingUsable: mellium.im/sasl binds with tls-exporter on TLS 1.3 and tls-unique
// below. A server that lists its types (XEP-0440) must list ours; one that does not is
// assumed to know only tls-unique (RFC 5929), which TLS 1.3 does not define.
func channelBindingUsable(features *stanza.Element, st tls.ConnectionState) bool {
	want := "tls-unique"
	if st.Version >= tls.VersionTLS13 {
		want = "tls-exporter"
	}
	cb := features.Child("urn:xmpp:sasl-cb:0", "sasl-channel-binding")
	if cb == nil {
		return want == "tls-unique" && len(st.TLSUnique) > 0
	}
	for _, t := range cb.Children() {
		if t.Attr("type") == want {
			return true
		}
	}
	return false
}

// saslFailureText is the server's <text/>, else its condition.
func saslFailureText(el *stanza.Element) string {
	if t := el.ChildText(stanza.NSSASL, "text"); t != "" {
		return t
	}
	for _, ch := range el.Children() {
		return ch.Local
	}
	return "authentication failed"
}
