package config

import "strings"

// How each Spectrum 2 option (spec 4.2, 4.3) is imported.
type importKind int

const (
	toOption  importKind = iota // same-named option of ours
	toBackend                   // [backend_ini.SECTION]: only backends read it
	toNote                      // no equivalent: a note says why
)

// importRule maps one old option. unit converts an integer to a duration ("s", "ms"); a
// note of a toOption rule is given as well.
type importRule struct {
	kind   importKind
	target string // our "section.key" for toOption
	unit   string
	note   string
}

const (
	noteIBR = "no equivalent: spectrum2 offers no in-band registration; users log in with their " +
		"legacy credentials (server mode)"
	noteDB = "no equivalent: spectrum2 keeps no database"
)

// importRules lists the options whose handling is not "pass to backends".
var importRules = map[string]importRule{
	"service.jid":               {kind: toOption},
	"service.server":            {kind: toOption},
	"service.port":              {kind: toOption},
	"service.cert":              {kind: toOption},
	"service.cert_password":     {kind: toOption},
	"service.backend":           {kind: toOption},
	"service.backend_host":      {kind: toOption},
	"service.backend_port":      {kind: toOption},
	"service.portfile":          {kind: toOption},
	"service.working_dir":       {kind: toOption},
	"service.users_per_backend": {kind: toOption},
	"service.login_delay":       {kind: toOption, unit: "s"},
	// spec 2.8 QUIRK: documented as seconds, used as milliseconds; imported as what it did.
	"service.memory_collector_time": {kind: toOption, unit: "ms"},
	"service.admin_jid":             {kind: toOption},
	"service.admin_password":        {kind: toOption},
	"service.jid_escaping":          {kind: toOption},
	"service.enable_xhtml":          {kind: toOption},
	"service.oob_replace_body":      {kind: toOption},
	"service.oob_split":             {kind: toOption},
	"service.max_room_list_size":    {kind: toOption},
	"service.more_resources":        {kind: toOption},
	"service.server_mode":           {kind: toNote, note: "dropped: spectrum2 always runs in server mode"},
	"service.password":              {kind: toNote, note: "no equivalent: the component secret is used only in gateway mode"},
	"service.user":                  {kind: toNote, note: "no equivalent: spectrum2 does not change user; run it as that user from the service manager"},
	"service.group":                 {kind: toNote, note: "no equivalent: spectrum2 does not change group; run it from the service manager"},
	"service.pidfile":               {kind: toNote, note: "no equivalent: spectrum2 does not daemonize; the service manager knows the PID"},
	"service.allowed_servers": {kind: toOption, note: "imported, with a new meaning: the legacy servers users may " +
		"make the native backends reach (Spectrum 2: the domains allowed to register in gateway mode); check the list"},
	"service.reuse_old_backends":    {kind: toNote, note: "no equivalent: a backend with room is always reused (spec 2.4)"},
	"service.idle_reconnect_time":   {kind: toNote, note: "no equivalent: spectrum2 has no long-running backends (spec 2.7)"},
	"service.vip_only":              {kind: toNote, note: noteDB},
	"service.vip_message":           {kind: toNote, note: noteDB},
	"service.reconnect_all_users":   {kind: toNote, note: "no equivalent: used only in gateway mode"},
	"service.frontend":              {kind: toNote, note: "no equivalent: the XMPP frontend is the only one"},
	"service.backend_id":            {kind: toNote, note: "dropped: the daemon numbers backends itself"},
	"identity.name":                 {kind: toOption},
	"identity.category":             {kind: toOption},
	"identity.type":                 {kind: toOption},
	"logging.config":                {kind: toNote, note: "no equivalent: log4cxx is not used; set [logging] level and format"},
	"registration.needPassword":     {kind: toOption},
	"registration.needRegistration": {kind: toOption},
	"registration.extraField":       {kind: toOption},
}

// importSectionNotes covers whole sections without an equivalent.
var importSectionNotes = map[string]string{
	"database":          noteDB,
	"registration":      noteIBR,
	"vhosts":            "no equivalent: never read by Spectrum 2 either",
	"gateway_responder": "no equivalent: the XEP-0100 prompt is fixed",
	"settings":          "no equivalent: ad-hoc settings defaults are not supported",
}

// backendSections are sections external backends read (spec 4.3); every key of theirs passes.
var backendSections = map[string]bool{"backend": true, "proxy": true, "purple": true, "logging": true}

// backendServiceKeys are service.* keys only backends read (spec 4.2 "B", 4.3).
var backendServiceKeys = map[string]bool{
	"protocol": true, "enable_privacy_lists": true, "enable_remove_buddy": true, "web_directory": true,
	"web_url": true, "web_maximgsize": true, "eventloop": true, "verify_certs": true,
}

// ruleFor decides how section.key is imported; known reports whether Spectrum 2 or a shipped
// backend knows the key (unknown keys are passed to backends with a note).
func ruleFor(sec, key string) (r importRule, known bool) {
	full := sec + "." + key
	if r, ok := importRules[full]; ok {
		if r.kind == toOption && r.target == "" {
			r.target = full
		}
		return r, true
	}
	switch {
	case sec == "features":
		if _, ok := lookup("features", key); ok {
			return importRule{kind: toOption, target: full}, true
		}
	case sec == "service" && (backendServiceKeys[key] || strings.HasPrefix(key, "irc_")):
		return importRule{kind: toBackend}, true
	case backendSections[sec]:
		return importRule{kind: toBackend}, true
	}
	if n, ok := importSectionNotes[sec]; ok {
		return importRule{kind: toNote, note: n}, true
	}
	return importRule{kind: toBackend}, false
}
