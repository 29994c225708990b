package allow

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"github.com/gospectrum/spectrum2/internal/ini"
)

// Section and Key locate the option in the backend's INI file: [service] allowed_servers,
// one entry per repeated key.
const (
	Section = "service"
	Key     = "allowed_servers"
)

// Any is the entry that lets users name any server; the addresses dialed must still be
// public (or listed).
const Any = "*"

// List is a parsed allowed_servers. The zero List allows no names and only public
// addresses.
type List struct {
	any   bool
	names map[string]bool // lower case, no trailing dot
	nets  []netip.Prefix  // listed addresses (as /32, /128) and prefixes
}

// Parse reads the entries: "*", a host name, an IP address or a CIDR prefix; empty ones
// are skipped.
func Parse(entries []string) (List, error) {
	l := List{names: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" { // "allowed_servers =" in an INI file: no entry
			continue
		}
		if e == Any {
			l.any = true
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			l.nets = append(l.nets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			a = a.Unmap()
			l.nets = append(l.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if err := CheckEntry(e); err != nil {
			return List{}, err
		}
		l.names[normal(e)] = true
	}
	return l, nil
}

// CheckEntry reports why e is not a valid entry, nil when it is.
func CheckEntry(e string) error {
	e = strings.TrimSpace(e)
	if e == Any {
		return nil
	}
	if _, err := netip.ParsePrefix(e); err == nil {
		return nil
	}
	if _, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
		return nil
	}
	if !validHost(e) {
		return fmt.Errorf("allowed_servers: %q is not \"*\", a host name, an IP address or a CIDR prefix", e)
	}
	return nil
}

// validHost accepts DNS names of letters, digits, '-', '_' and dots; no port.
func validHost(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if r >= 128 || !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}

// FromINI reads [service] allowed_servers of cfg (nil: the empty list).
func FromINI(cfg *ini.File) (List, error) {
	if cfg == nil {
		return Parse(nil)
	}
	return Parse(cfg.Values(Section, Key))
}

func normal(host string) string {
	return strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
}

// HasNames reports whether the list names servers ("*" or host names) rather than only
// addresses.
func (l List) HasNames() bool { return l.any || len(l.names) > 0 }

// Names reports whether users may name host: "*" is listed, host is listed by name, or host
// is an IP address inside a listed address or prefix.
func (l List) Names(host string) bool {
	if l.any || l.names[normal(host)] {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && l.listed(a.Unmap())
}

// Dialable reports whether ip may be connected to for a connection to host (the server's
// name as the user or the configuration gave it): a public address always; any other only
// when it is listed, or when host itself is listed by name (an internal server the
// administrator trusts, whatever it resolves to).
func (l List) Dialable(host string, ip netip.Addr) bool {
	ip = ip.Unmap()
	return Public(ip) || l.listed(ip) || l.names[normal(host)]
}

func (l List) listed(ip netip.Addr) bool {
	for _, p := range l.nets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// RefusedError is the dial error for an address that is not allowed.
type RefusedError struct {
	Host string
	Addr netip.Addr
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s resolves to %s, which is not public and not in allowed_servers", e.Host, e.Addr)
}

// IsRefused reports whether err (from a dial) is a refusal of this package.
func IsRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// Control returns a net.Dialer Control function that refuses every address Dialable does
// not allow for any of hosts (the names the connection was made for: the server the user
// named, the configured host); the dial then fails with a *RefusedError (wrapped in a
// *net.OpError).
func (l List) Control(hosts ...string) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("allow: dial address %q: %w", address, err)
		}
		for _, h := range hosts {
			if l.Dialable(h, ap.Addr()) {
				return nil
			}
		}
		return &RefusedError{Host: strings.Join(hosts, "/"), Addr: ap.Addr().Unmap()}
	}
}

// Dialer returns d with a Control function for hosts (d's own Control, if any, runs after).
func (l List) Dialer(d net.Dialer, hosts ...string) *net.Dialer {
	check, inner := l.Control(hosts...), d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if err := check(network, address, c); err != nil {
			return err
		}
		if inner != nil {
			return inner(network, address, c)
		}
		return nil
	}
	return &d
}
