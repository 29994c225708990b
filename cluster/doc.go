// Package cluster lets one XMPP domain run on several spectrum2 hosts, found by clients
// through DNS SRV records (RFC 2782, RFC 6120 section 3.2.1, XEP-0368).
//
// It has four parts that share the [cluster] configuration:
//
//   - Records renders the zone lines an operator publishes: _xmpp-client._tcp and
//     _xmpps-client._tcp SRV records plus A/AAAA records for the members.
//   - Check resolves both SRV names the way a client does (priority, then weighted random
//     order), connects to every target, opens a stream, completes STARTTLS or direct TLS
//     with certificate name verification and reports each target. `spectrum2 srv check`
//     prints its result; operators run it from cron.
//   - Responder is an optional authoritative DNS server for the domain. It answers SRV,
//     A/AAAA, NS and SOA from the configuration, health-checks every member (TCP connect
//     and stream open) and withdraws failing members from its answers, with a short TTL,
//     until they recover.
//   - Affinity keeps each user on one host, so that two hosts never log the same legacy
//     account in twice: it chooses the owner of a bare JID by weighted rendezvous hashing
//     over the members of the best priority that its health checks see up, and c2s answers
//     a login on another host with see-other-host (RFC 6120 section 4.9.3.19).
//
// All DNS work uses github.com/miekg/dns.
package cluster
