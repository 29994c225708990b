package server

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/server/config"
)

// banner is what a newcomer needs once the daemon runs: where clients connect, how to log
// in, which certificate a client will be shown, and the operations endpoints.
type banner struct {
	Listeners []string // "127.0.0.1:5222 (STARTTLS)"
	Login     string   // an example JID and what the password is
	CertFrom  string   // "generated in data/cert.pem" or "loaded from /etc/..."
	CertNames []string // subject CN and DNS names
	CertSHA   string   // SHA-256 of the certificate, colon-separated hex as clients show it
	CertUntil string
	Status    string   // the status command
	Metrics   []string // URLs, when [metrics] listen is set
}

// newBanner describes the running daemon; starttls is how many of addrs are STARTTLS
// listeners (they come first).
func newBanner(cfg *config.Config, addrs []net.Addr, starttls int, cert *tls.Certificate, metricsAddr net.Addr) banner {
	b := banner{Login: loginExample(cfg.Service.Backend, cfg.Service.JID)}
	for i, a := range addrs {
		kind := "STARTTLS"
		if i >= starttls {
			kind = "direct TLS"
		}
		b.Listeners = append(b.Listeners, a.String()+" ("+kind+")")
	}
	b.CertFrom = "loaded from " + cfg.Service.Cert
	if cfg.Service.Cert == "" {
		b.CertFrom = "self-signed, generated in " + cfg.Service.DataDir + "/cert.pem"
	}
	if leaf := leafOf(cert); leaf != nil {
		if leaf.Subject.CommonName != "" {
			b.CertNames = append(b.CertNames, leaf.Subject.CommonName)
		}
		for _, n := range leaf.DNSNames {
			if n != leaf.Subject.CommonName {
				b.CertNames = append(b.CertNames, n)
			}
		}
		sum := sha256.Sum256(leaf.Raw)
		hex := make([]string, len(sum))
		for i, c := range sum {
			hex[i] = fmt.Sprintf("%02X", c)
		}
		b.CertSHA = strings.Join(hex, ":")
		b.CertUntil = leaf.NotAfter.UTC().Format("2006-01-02")
	}
	b.Status = "spectrum2 status --config " + cfg.Path
	if metricsAddr != nil {
		base := "http://" + metricsAddr.String()
		b.Metrics = []string{base + "/metrics", base + "/status", base + "/healthz", base + "/readyz"}
	}
	return b
}

func leafOf(c *tls.Certificate) *x509.Certificate {
	if c == nil || len(c.Certificate) == 0 {
		return nil
	}
	if c.Leaf != nil {
		return c.Leaf
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// loginExample is a JID to log in with on the configured backend, and its password.
func loginExample(backend, domain string) string {
	switch backend {
	case "builtin:demo":
		return "alice%demo@" + domain + ` with any password but "wrong" (the demo ignores the host part)`
	case "builtin:irc":
		return "nick@" + domain + " (your IRC nick; the server is [backend_ini] irc_server), with its NickServ password or any"
	case "builtin:xmpp":
		return "user%server@" + domain + " (your account user@server) with its password"
	}
	return "name%host@" + domain + " (your name on the legacy network and its host) with its password"
}

// text is the banner as lines for the console format.
func (b banner) text() string {
	var s strings.Builder
	row := func(label, value string) { fmt.Fprintf(&s, "\n  %-12s %s", label, value) }
	row("clients:", strings.Join(b.Listeners, ", "))
	row("log in as:", b.Login)
	if b.CertSHA == "" {
		row("certificate:", b.CertFrom)
	} else {
		row("certificate:", b.CertFrom+", for "+strings.Join(b.CertNames, ", ")+", valid until "+b.CertUntil)
		row("", "SHA-256 "+b.CertSHA)
	}
	row("status:", b.Status)
	if len(b.Metrics) > 0 {
		row("metrics:", strings.Join(b.Metrics, " "))
	} else {
		row("metrics:", "off ([metrics] listen)")
	}
	return s.String()
}

// log writes the banner as one record: its lines under the message in the console format,
// fields in JSON.
func (b banner) log(log zerolog.Logger, console bool) {
	if console {
		log.Info().Msg("ready for clients:" + b.text())
		return
	}
	log.Info().Strs("listeners", b.Listeners).Str("login", b.Login).Str("cert", b.CertFrom).
		Strs("cert_names", b.CertNames).Str("cert_sha256", b.CertSHA).Str("cert_valid_until", b.CertUntil).
		Str("status", b.Status).Strs("metrics", b.Metrics).Msg("ready for clients")
}
