package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A libcommuni (IRC) server-mode config as Spectrum 2's packages ship it, plus a cert.
const libcommuniCfg = `[service]
server_mode = 1
jid = irc.localhost
server = 0.0.0.0
port = 5222
password = secret
user = spectrum
group = spectrum
pidfile = /var/run/spectrum2/$jid.pid
portfile = /var/run/spectrum2/$jid.port
working_dir = /var/lib/spectrum2/$jid
backend_host = 127.0.0.1
backend_port = 10001
backend = /usr/bin/spectrum2_libcommuni_backend
users_per_backend = 10
login_delay = 2
irc_server = irc.libera.chat:+6697
irc_server = irc.oftc.net
allowed_servers = irc.example.net
irc_identify = NickServ identify $name $password
admin_jid = admin@irc.localhost
admin_jid = root@irc.localhost
admin_password = test
cert = CERT
cert_password = certpw
jid_escaping = 0

[identity]
name = Spectrum 2 IRC Transport
type = irc
category = gateway

[logging]
config = /etc/spectrum2/logging.cfg # log4cxx
backend_config = /etc/spectrum2/backend-logging.cfg

[database]
type = none
database = /var/lib/spectrum2/$jid/database.sql

[registration]
enable_public_registration = 0
`

// A libpurple config for ICQ with proxy, avatar and purple options.
const libpurpleCfg = `[service]
jid = icq.example.org
server_mode = true
protocol = prpl-icq
backend = /usr/bin/spectrum2_libpurple_backend
web_directory = /var/lib/spectrum2/$jid/web
web_url = https://example.org/spectrum/$jid
enable_privacy_lists = 1
memory_collector_time = 3600
more_resources = yes
frontend = xmpp
idle_reconnect_time = 600
mystery_option = 42

[purple]
server = login.icq.com
port = 443

[proxy]
type = socks5
host = 127.0.0.1
port = 9050

[backend]
avatars_directory = /var/lib/spectrum2/$jid/avatars

[features]
muc = 1
rawxml = 0

[registration]
needRegistration = 0
extraField = email
instructions = Enter your ICQ number

[database]
type = sqlite3 # or "none"

[gateway_responder]
prompt = ICQ number
`

func TestImportLibcommuni(t *testing.T) {
	cert := filepath.Join(t.TempDir(), "irc.p12")
	if err := os.WriteFile(cert, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, notes := importAndCheck(t, strings.Replace(libcommuniCfg, "CERT", cert, 1))
	c, _ := parse("out.toml", out)
	s := c.Service
	if s.JID != "irc.localhost" || s.Server != "0.0.0.0" || s.WorkingDir != "/var/lib/spectrum2/irc.localhost" ||
		s.Portfile != "/var/run/spectrum2/irc.localhost.port" || s.BackendPort != 10001 || s.UsersPerBackend != 10 ||
		s.LoginDelay != 2*time.Second || s.JIDEscaping || s.Cert != cert || s.CertPassword != "certpw" ||
		strings.Join(s.AdminJID, ",") != "admin@irc.localhost,root@irc.localhost" || s.AdminPassword != "test" {
		t.Errorf("service: %+v", s)
	}
	if c.Identity.Name != "Spectrum 2 IRC Transport" || c.Identity.Type != "irc" {
		t.Errorf("identity: %+v", c.Identity)
	}
	extra := backendExtra(c)
	if extra["service.irc_server"] != "irc.libera.chat:+6697|irc.oftc.net" ||
		extra["service.irc_identify"] != "NickServ identify $name $password" ||
		extra["logging.backend_config"] != "/etc/spectrum2/backend-logging.cfg" {
		t.Errorf("backend_ini: %v", extra)
	}
	wantNotes(t, notes, "service.password: no equivalent", "service.pidfile: no equivalent",
		"service.user: ", "database.type: no equivalent: spectrum2 keeps no database", "database.database: ",
		"logging.config: no equivalent", "registration.enable_public_registration: no equivalent",
		"service.server_mode: dropped", "service.allowed_servers: imported, with a new meaning")
	if strings.Join(s.AllowedServers, ",") != "irc.example.net" {
		t.Errorf("allowed_servers = %q", s.AllowedServers)
	}
}

func TestImportLibpurple(t *testing.T) {
	out, notes := importAndCheck(t, libpurpleCfg)
	c, _ := parse("out.toml", out)
	if c.Service.MemoryCollectorTime != 3600*time.Millisecond || !c.Service.MoreResources {
		t.Errorf("service: %+v", c.Service)
	}
	if c.Features.MUC == nil || !*c.Features.MUC || c.Features.RawXML == nil || *c.Features.RawXML ||
		c.Registration.NeedRegistration == nil || *c.Registration.NeedRegistration ||
		strings.Join(c.Registration.ExtraField, ",") != "email" {
		t.Errorf("overrides: %+v %+v", c.Features, c.Registration)
	}
	extra := backendExtra(c)
	for k, want := range map[string]string{
		"service.protocol":             "prpl-icq",
		"service.web_directory":        "/var/lib/spectrum2/$jid/web", // the backend substitutes, as before
		"service.enable_privacy_lists": "1",
		"purple.server":                "login.icq.com",
		"proxy.type":                   "socks5",
		"proxy.port":                   "9050",
		"backend.avatars_directory":    "/var/lib/spectrum2/$jid/avatars",
		"service.mystery_option":       "42",
	} {
		if extra[k] != want {
			t.Errorf("backend_ini %s = %q, want %q", k, extra[k], want)
		}
	}
	wantNotes(t, notes, "service.mystery_option: unknown to spectrum2", "service.frontend: ",
		"service.idle_reconnect_time: ", "registration.instructions: no equivalent", "database.type: ",
		"gateway_responder.prompt: ", "service.working_dir: unset: Spectrum 2 used /var/lib/spectrum2/icq.example.org")
	for _, n := range notes {
		if strings.HasPrefix(n, "registration.needRegistration") || strings.HasPrefix(n, "features.") {
			t.Errorf("override noted as dropped: %s", n)
		}
	}
}

func TestImportErrors(t *testing.T) {
	for name, in := range map[string]string{
		"syntax":    "[service]\njid\n",
		"bad int":   "[service]\nport = many\n",
		"bad bool":  "[service]\njid_escaping = maybe\n",
		"bad delay": "[service]\nlogin_delay = 1s\n",
	} {
		if _, _, err := Import(strings.NewReader(in), name); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func importAndCheck(t *testing.T, cfg string) ([]byte, []string) {
	t.Helper()
	out, notes, err := Import(strings.NewReader(cfg), "old.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if _, ps := parse("out.toml", out); len(ps) != 0 {
		t.Fatalf("imported TOML does not load: %v\n%s", ps, out)
	}
	return out, notes
}

func backendExtra(c *Config) map[string]string {
	m := map[string]string{}
	for _, v := range c.BackendExtra {
		m[v.Section+"."+v.Key] = strings.Join(v.Values, "|")
	}
	return m
}

func wantNotes(t *testing.T, notes []string, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		found := false
		for _, n := range notes {
			found = found || strings.HasPrefix(n, p)
		}
		if !found {
			t.Errorf("no note %q in\n%s", p, strings.Join(notes, "\n"))
		}
	}
}
