package xmpp

import "fmt"

// Stream error conditions of RFC 6120 section 4.9.3 that this server sends.
const (
	CondBadFormat              = "bad-format"
	CondConflict               = "conflict"
	CondConnectionTimeout      = "connection-timeout"
	CondHostUnknown            = "host-unknown"
	CondInternalServerError    = "internal-server-error"
	CondInvalidNamespace       = "invalid-namespace"
	CondNotAuthorized          = "not-authorized"
	CondNotWellFormed          = "not-well-formed"
	CondPolicyViolation        = "policy-violation"
	CondResourceConstraint     = "resource-constraint"
	CondRestrictedXML          = "restricted-xml"
	CondSystemShutdown         = "system-shutdown"
	CondUndefinedCondition     = "undefined-condition"
	CondUnsupportedStanzaType  = "unsupported-stanza-type"
	CondUnsupportedVersion     = "unsupported-version"
	CondUnsupportedFeature     = "unsupported-feature"
	CondInvalidXML             = "invalid-xml"
	CondUnsupportedEncoding    = "unsupported-encoding"
	CondImproperAddressing     = "improper-addressing"
	CondBadNamespacePrefix     = "bad-namespace-prefix"
	CondRemoteConnectionFailed = "remote-connection-failed"
)

// Stanza error types and conditions of RFC 6120 section 8.3 used across the server.
const (
	ErrTypeAuth     = "auth"
	ErrTypeCancel   = "cancel"
	ErrTypeContinue = "continue"
	ErrTypeModify   = "modify"
	ErrTypeWait     = "wait"

	StanzaBadRequest            = "bad-request"
	StanzaConflict              = "conflict"
	StanzaFeatureNotImplemented = "feature-not-implemented"
	StanzaForbidden             = "forbidden"
	StanzaItemNotFound          = "item-not-found"
	StanzaJIDMalformed          = "jid-malformed"
	StanzaNotAllowed            = "not-allowed"
	StanzaNotAuthorized         = "not-authorized"
	StanzaRecipientUnavailable  = "recipient-unavailable"
	StanzaServiceUnavailable    = "service-unavailable"
	StanzaUnexpectedRequest     = "unexpected-request"
	StanzaInternalServerError   = "internal-server-error"
	StanzaResourceConstraint    = "resource-constraint"
	StanzaPolicyViolation       = "policy-violation"
)

// StreamError is a fatal stream-level error carrying its RFC 6120 section 4.9.3 condition.
// The reader returns it for bad input; c2s sends it as <stream:error/> and closes.
type StreamError struct {
	Condition string
	Text      string
}

func (e *StreamError) Error() string {
	if e.Text == "" {
		return "stream error: " + e.Condition
	}
	return fmt.Sprintf("stream error: %s: %s", e.Condition, e.Text)
}

// Element returns the <stream:error/> element for e.
func (e *StreamError) Element() *Element {
	return StreamErrorElement(e.Condition, e.Text)
}

// StreamErrorElement builds <stream:error><condition/><text>text</text></stream:error>.
// The text is omitted when empty.
func StreamErrorElement(condition, text string) *Element {
	el := New(NSStream, "error").Append(New(NSStreams, condition))
	if text != "" {
		el.Append(New(NSStreams, "text").AppendText(text))
	}
	return el
}

// legacyCode is the XEP-0086 error code of an RFC 6120 condition, "" for one without.
func legacyCode(condition string) string {
	switch condition {
	case StanzaBadRequest, StanzaJIDMalformed, StanzaUnexpectedRequest:
		return "400"
	case StanzaNotAuthorized:
		return "401"
	case "payment-required":
		return "402"
	case StanzaForbidden:
		return "403"
	case StanzaItemNotFound, StanzaRecipientUnavailable, "remote-server-not-found":
		return "404"
	case StanzaNotAllowed:
		return "405"
	case "not-acceptable":
		return "406"
	case "registration-required", "subscription-required":
		return "407"
	case StanzaConflict:
		return "409"
	case StanzaInternalServerError, StanzaResourceConstraint, "undefined-condition":
		return "500"
	case StanzaFeatureNotImplemented:
		return "501"
	case StanzaServiceUnavailable:
		return "503"
	case "remote-server-timeout":
		return "504"
	case "gone", "redirect":
		return "302"
	}
	return ""
}

// StanzaError builds <error type='errType' code='N'><condition/><text/></error> in
// jabber:client. The code is XEP-0086's legacy one: RFC 6120 has none, but ejabberd
// still sends it and clients read it; Profanity, for one, publishes its first OMEMO
// device list only when fetching the missing node answers code 404.
func StanzaError(errType, condition, text string) *Element {
	el := New(NSClient, "error", "type", errType)
	if code := legacyCode(condition); code != "" {
		el.SetAttr("code", code)
	}
	el.Append(New(NSStanzas, condition))
	if text != "" {
		el.Append(New(NSStanzas, "text").AppendText(text))
	}
	return el
}

// ErrorReply builds the error answer to stanza (RFC 6120 section 8.3): same element name and
// id, from and to swapped, type='error', and an <error/> child. Messages and presences keep a
// copy of their original children so the sender can see what failed (section 8.3.1 allows
// it); IQ errors carry only the error, which keeps replies to large IQs small.
// It returns nil for a stanza of type error: errors are never answered (section 8.3.1).
func ErrorReply(stanza *Element, errType, condition, text string) *Element {
	if stanza == nil || stanza.Type() == "error" {
		return nil
	}
	r := &Element{Space: stanza.Space, Local: stanza.Local}
	r.SetAttr("id", stanza.ID())
	r.SetAttr("from", stanza.To())
	r.SetAttr("to", stanza.From())
	r.SetAttr("type", "error")
	if stanza.Local != "iq" {
		for _, n := range stanza.Nodes {
			if n.Elem != nil {
				r.Append(n.Elem.Clone())
			}
		}
	}
	e := StanzaError(errType, condition, text)
	e.Space = stanza.Space
	return r.Append(e)
}
