package allow

import "net/netip"

// special are IANA special-purpose ranges (RFC 6890 and successors) that IsGlobalUnicast and
// IsPrivate do not cover but that no legacy server on the Internet uses: "this network",
// shared address space (carrier-grade NAT), IETF protocol assignments, benchmarking, the
// reserved class E, IPv6 site-local and the NAT64 local-use prefix.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses stand for the IPv4
// address in their last 32 bits, which decides.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Public reports whether ip is a public unicast address: not loopback, link-local,
// private (RFC 1918, fc00::/7), multicast, unspecified, broadcast or another special range.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range special {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
