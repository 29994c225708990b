package pluginserver

import (
	"fmt"
	"strings"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// Features is what the backends announced in BACKEND_CONFIG (spec 1.7), with Spectrum 2's
// defaults before the first backend connected.
type Features struct {
	MUC                bool // features.muc
	RawXML             bool // features.rawxml
	DisableJIDEscaping bool // features.disable_jid_escaping
	SendBuddiesOnLogin bool // features.send_buddies_on_login
	Receipts           bool // features.receipts
	Attachments        bool // features.attachments (ours): CONV_MESSAGE's attachments are read
	Markers            bool // features.markers (ours): CONV_MESSAGE_ACK to the backend is read
	// The keys of issue 24 (ours, docs/protocol-extensions.md): the extension fields and
	// CONV_EVENT frames the backend reads (extensions.go strips the rest).
	Corrections      bool // features.corrections: ConversationMessage.replaceId
	Replies          bool // features.replies: replyToId, replyToSender, replyFallbackEnd
	Reactions        bool // features.reactions: CONV_EVENT with reactToId and reaction
	Retractions      bool // features.retractions: CONV_EVENT with retractId
	MsgIDs           bool // features.msgids: the backend gives its messages' legacy ids
	NeedPassword     bool // registration.needPassword (default true)
	NeedRegistration bool // registration.needRegistration
}

// defaultFeatures is what Spectrum 2 assumes before any backend spoke (spec 1.7).
func defaultFeatures() Features {
	return Features{NeedPassword: true, NeedRegistration: true}
}

// backendConfig merges the BACKEND_CONFIG frames of all backends. As in Spectrum 2 (spec
// 1.7: boost's store() keeps values already stored) the first value seen for a key wins;
// merging per key matters because the Python helper sends one key per frame.
type backendConfig struct {
	doc  ini.File
	seen map[string]bool
}

// maxConfigKeys bounds the keys kept from all backends' BACKEND_CONFIG frames together.
const maxConfigKeys = 256

// merge adds the keys of one BACKEND_CONFIG text that were not known yet, up to
// maxConfigKeys. rawXML is this text's features.rawxml, nil when it does not set it: the
// announcement is per backend (conn.go), whatever the merged value.
func (c *backendConfig) merge(text string) (rawXML *bool, err error) {
	f, err := ini.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("pluginserver: BACKEND_CONFIG: %w", err)
	}
	if c.seen == nil {
		c.seen = make(map[string]bool)
	}
	for _, k := range f.Keys() {
		if k == "features.rawxml" {
			v := f.Bool("features", "rawxml", false)
			rawXML = &v
		}
		if c.seen[k] || len(c.seen) >= maxConfigKeys {
			continue
		}
		c.seen[k] = true
		section, key, _ := strings.Cut(k, ".")
		for _, v := range f.Values(section, key) {
			c.doc.Add(section, key, v)
		}
	}
	return rawXML, nil
}

// features reads the merged configuration with Spectrum 2's defaults for absent keys.
func (c *backendConfig) features() Features {
	d := defaultFeatures()
	return Features{
		MUC:                c.doc.Bool("features", "muc", d.MUC),
		RawXML:             c.doc.Bool("features", "rawxml", d.RawXML),
		DisableJIDEscaping: c.doc.Bool("features", "disable_jid_escaping", d.DisableJIDEscaping),
		SendBuddiesOnLogin: c.doc.Bool("features", "send_buddies_on_login", d.SendBuddiesOnLogin),
		Receipts:           c.doc.Bool("features", "receipts", d.Receipts),
		Attachments:        c.doc.Bool("features", "attachments", d.Attachments),
		Markers:            c.doc.Bool("features", "markers", d.Markers),
		Corrections:        c.doc.Bool("features", "corrections", false),
		Replies:            c.doc.Bool("features", "replies", false),
		Reactions:          c.doc.Bool("features", "reactions", false),
		Retractions:        c.doc.Bool("features", "retractions", false),
		MsgIDs:             c.doc.Bool("features", "msgids", false),
		NeedPassword:       c.doc.Bool("registration", "needPassword", d.NeedPassword),
		NeedRegistration:   c.doc.Bool("registration", "needRegistration", d.NeedRegistration),
	}
}
