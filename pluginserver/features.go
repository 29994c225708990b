package pluginserver

// Features is what the backends announced in BACKEND_CONFIG (spec 1.7), with Spectrum 2's
// defaults before the first backend connected.
type Features struct {
	MUC                bool // features.muc
	RawXML             bool // features.rawxml
	DisableJIDEscaping bool // features.disable_jid_escaping
	SendBuddiesOnLogin bool // features.send_buddies_on_login
	Receipts           bool // features.receipts
	NeedPassword       bool // registration.needPassword (default true)
	NeedRegistration   bool // registration.needRegistration
}
