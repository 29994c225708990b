package backend

import (
	"strings"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// Features is what a backend announces in BACKEND_CONFIG (spec 1.7). Every key is written
// explicitly, so the zero value announces "no password, no registration, nothing optional",
// not Spectrum 2's defaults for absent keys.
type Features struct {
	// NeedPassword is registration.needPassword: the network needs a password to log in.
	NeedPassword bool
	// NeedRegistration is registration.needRegistration (false for server mode backends).
	NeedRegistration bool
	// ExtraFields are registration.extraField values, one key per field.
	ExtraFields []string
	// MUC is features.muc: the network has group chats (JOIN_ROOM etc.).
	MUC bool
	// RawXML is features.rawxml: stanzas travel as RAW_XML (spec 3.21).
	RawXML bool
	// DisableJIDEscaping is features.disable_jid_escaping (spec 3.7).
	DisableJIDEscaping bool
	// SendBuddiesOnLogin is features.send_buddies_on_login: the daemon sends BUDDIES after
	// LOGIN with the stored roster.
	SendBuddiesOnLogin bool
	// Receipts is features.receipts: the backend answers receipt requests with
	// CONV_MESSAGE_ACK (spec 3.9, 3.10), so the daemon advertises urn:xmpp:receipts.
	Receipts bool
	// Attachments is features.attachments (ours; Spectrum 2 has no such key): the backend
	// reads ConversationMessage.attachment, so the daemon sends a client's XEP-0066 OOB
	// URLs as attachments. Without it they travel only as the body's text.
	Attachments bool
	// Markers is features.markers (ours): the backend reads the user's read markers, a
	// CONV_MESSAGE_ACK from the daemon naming the id of a message from Buddy that the user
	// displayed (XEP-0333) or received (XEP-0184). Without it they are not sent.
	Markers bool
	// The keys of issue 24 (ours, docs/protocol-extensions.md); the daemon sends each
	// extension only to a backend that announced it.
	// Corrections is features.corrections: the backend reads ConversationMessage.replaceId
	// (XEP-0308) and may send it.
	Corrections bool
	// Replies is features.replies: replyToId, replyToSender and replyFallbackEnd (XEP-0461).
	Replies bool
	// Reactions is features.reactions: CONV_EVENT frames with reactToId and reaction (XEP-0444).
	Reactions bool
	// Retractions is features.retractions: CONV_EVENT frames with retractId (XEP-0424).
	Retractions bool
	// MsgIDs is features.msgids: the backend sets ConversationMessage.id on the messages it
	// sends to the legacy id that corrections, reactions, replies and retractions name.
	MsgIDs bool
}

// INI renders the BACKEND_CONFIG text, in the layout of the C++ sendConfig (spec 1.7)
// plus the keys the C++ helper cannot express (receipts, send_buddies_on_login).
func (f Features) INI() string {
	var doc ini.File
	doc.Add("registration", "needPassword", bit(f.NeedPassword))
	doc.Add("registration", "needRegistration", bit(f.NeedRegistration))
	for _, x := range f.ExtraFields {
		doc.Add("registration", "extraField", x)
	}
	doc.Add("features", "muc", bit(f.MUC))
	doc.Add("features", "rawxml", bit(f.RawXML))
	doc.Add("features", "disable_jid_escaping", bit(f.DisableJIDEscaping))
	doc.Add("features", "send_buddies_on_login", bit(f.SendBuddiesOnLogin))
	doc.Add("features", "receipts", bit(f.Receipts))
	if f.Attachments {
		doc.Add("features", "attachments", "1") // only when set: C++ backends' configs stay as they were
	}
	if f.Markers {
		doc.Add("features", "markers", "1")
	}
	for _, x := range []struct {
		key string
		on  bool
	}{{"corrections", f.Corrections}, {"replies", f.Replies}, {"reactions", f.Reactions},
		{"retractions", f.Retractions}, {"msgids", f.MsgIDs}} {
		if x.on { // only when set, as attachments
			doc.Add("features", x.key, "1")
		}
	}
	var b strings.Builder
	if _, err := doc.WriteTo(&b); err != nil {
		// Only an extra field with a newline gets here; announce without extra fields
		// rather than not at all.
		f.ExtraFields = nil
		return f.INI()
	}
	return b.String()
}

func bit(v bool) string {
	if v {
		return "1"
	}
	return "0"
}
