package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/backend/native"
	"github.com/gospectrum/spectrum2/internal/logging"
)

// The check functions validate one decoded value (its Go type is the field's). Negative
// numbers and durations are refused for every option before these run.

func checkPort(lo int) func(any) string {
	return func(v any) string {
		if p := v.(int); p < lo || p > 65535 {
			return fmt.Sprintf("port %d out of range %d-65535", p, lo)
		}
		return ""
	}
}

func checkMin(lo int) func(any) string {
	return func(v any) string {
		if n := v.(int); n < lo {
			return fmt.Sprintf("%d is too small (at least %d)", n, lo)
		}
		return ""
	}
}

func checkMax(hi int) func(any) string {
	return func(v any) string {
		if n := v.(int); n > hi {
			return fmt.Sprintf("%d is too large (at most %d)", n, hi)
		}
		return ""
	}
}

func checkRange(lo, hi int) func(any) string {
	return func(v any) string {
		if n := v.(int); n < lo || n > hi {
			return fmt.Sprintf("%d out of range %d-%d", n, lo, hi)
		}
		return ""
	}
}

func checkMinDur(lo time.Duration) func(any) string {
	return func(v any) string {
		if d := v.(time.Duration); d < lo {
			return fmt.Sprintf("%s is too short (at least %s)", formatDuration(d), formatDuration(lo))
		}
		return ""
	}
}

func checkNonEmpty(v any) string {
	if strings.TrimSpace(v.(string)) == "" {
		return "must not be empty"
	}
	return ""
}

func checkLevel(v any) string {
	if _, err := logging.ParseLevel(v.(string)); err != nil {
		return err.Error()
	}
	return ""
}

func checkFormat(v any) string {
	if err := logging.CheckFormat(v.(string)); err != nil {
		return err.Error()
	}
	return ""
}

// checkDomain accepts a domainpart as RFC 7622 defines it, in canonical form, since the
// domain is compared byte for byte with the `to` of every stanza.
func checkDomain(v any) string {
	s := v.(string)
	if s == "" {
		return "required: the gateway's domain, e.g. \"localhost\""
	}
	j, err := jid.Parse(s)
	if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
		return fmt.Sprintf("%q is not a domain", s)
	}
	if j.Domainpart() != s {
		return fmt.Sprintf("%q is not in canonical form; write %q", s, j.Domainpart())
	}
	return ""
}

func checkJIDs(v any) string {
	for _, s := range v.([]string) {
		j, err := jid.Parse(s)
		if err != nil || j.Localpart() == "" || j.Resourcepart() != "" {
			return fmt.Sprintf("%q is not a bare JID like admin@example.org", s)
		}
	}
	return ""
}

// checkAllowed accepts the entries of service.allowed_servers (backend/allow).
func checkAllowed(v any) string {
	for _, s := range v.([]string) {
		if err := allow.CheckEntry(s); err != nil {
			return err.Error()
		}
	}
	return ""
}

var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)

func checkHost(v any) string {
	s := v.(string)
	if net.ParseIP(s) == nil && !hostname.MatchString(s) {
		return fmt.Sprintf("%q is neither an IP address nor a host name", s)
	}
	return ""
}

// checkBackend accepts builtin:NAME of a native backend, or a command line; whether that
// names an executable is checkFiles' question.
func checkBackend(v any) string {
	s := v.(string)
	if name, ok := strings.CutPrefix(s, "builtin:"); ok {
		names := native.Names()
		if !slices.Contains(names, name) {
			return fmt.Sprintf("%q: no such native backend%s; builtin:NAME is one of %s",
				s, suggest(name, names), strings.Join(names, ", "))
		}
		return ""
	}
	if strings.TrimSpace(s) == "" {
		return "must be builtin:NAME or the path of a backend executable"
	}
	return ""
}

// checkListen accepts "" (off) or host:port with a numeric port.
func checkListen(v any) string {
	s := v.(string)
	if s == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q: bad port", s)
	}
	if host != "" && net.ParseIP(host) == nil && !hostname.MatchString(host) {
		return fmt.Sprintf("%q: bad host", s)
	}
	return ""
}

// checkReactionFallback accepts the values of service.reaction_fallback.
func checkReactionFallback(v any) string {
	switch v.(string) {
	case "error", "text", "drop":
		return ""
	}
	return fmt.Sprintf("%q: one of \"error\", \"text\", \"drop\"", v)
}

// checkCorrectionFallback accepts the values of service.correction_fallback.
func checkCorrectionFallback(v any) string {
	switch v.(string) {
	case "prefix", "sed":
		return ""
	}
	return fmt.Sprintf("%q: one of \"prefix\", \"sed\"", v)
}

// checkURIs accepts XEP-0157 addresses: URIs with a scheme (mailto:, xmpp:, https:, ...).
func checkURIs(v any) string {
	for _, s := range v.([]string) {
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || len(s) == len(u.Scheme)+1 {
			return fmt.Sprintf("%q is not a URI like mailto:abuse@example.org or xmpp:admin@example.org", s)
		}
	}
	return ""
}
