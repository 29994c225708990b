package cluster

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"
)

func affinitySettings(host string) Settings {
	var members []Member
	for i := range 3 {
		members = append(members, Member{
			Name: "xmpp" + strconv.Itoa(i+1), Addresses: []string{"127.0.0." + strconv.Itoa(i+2)},
			Port: 5222, TLSPort: 5223, Priority: 10, Weight: 1,
		})
	}
	return Settings{Domain: testDomain, Cluster: Config{Host: host, Members: members},
		DNS: DNSConfig{HealthInterval: 100 * time.Millisecond, HealthTimeout: time.Second, FailAfter: 1, RiseAfter: 1}}
}

func mustAffinity(t *testing.T, host string) *Affinity {
	t.Helper()
	a, err := NewAffinity(affinitySettings(host), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func user(t *testing.T, local string) jid.JID {
	t.Helper()
	return jid.MustParse(local + "@" + testDomain)
}

// Every host computes the same owner, the owner keeps its users, and users spread over
// all members.
func TestAffinityOwnerAgreesAndSpreads(t *testing.T) {
	hosts := []*Affinity{mustAffinity(t, "xmpp1"), mustAffinity(t, "xmpp2"), mustAffinity(t, "xmpp3.example.test")}
	count := map[string]int{}
	for i := range 3000 {
		u := user(t, fmt.Sprintf("user%d", i))
		owner := hosts[0].Owner(u).Name
		count[owner]++
		for _, h := range hosts {
			if got := h.Owner(u).Name; got != owner {
				t.Fatalf("%s: %s says owner %s, %s says %s", u, h.s.Cluster.Host, got, hosts[0].s.Cluster.Host, owner)
			}
			addr, ok := h.Redirect(u, "192.0.2.1", false)
			self := h.s.Cluster.Members[h.self].Name
			if ok != (self != owner) {
				t.Fatalf("%s on %s: redirect %q %v, owner %s", u, self, addr, ok, owner)
			}
		}
	}
	for _, name := range []string{"xmpp1", "xmpp2", "xmpp3"} {
		if count[name] < 800 || count[name] > 1200 {
			t.Errorf("owner counts %v: want about 1000 each", count)
		}
	}
}

func TestAffinityRedirectAddressAndGrace(t *testing.T) {
	a := mustAffinity(t, "xmpp1")
	var u jid.JID
	for i := 0; ; i++ {
		if u = user(t, fmt.Sprintf("u%d", i)); a.Owner(u).Name != "xmpp1" {
			break
		}
	}
	host := a.Owner(u).Name + "." + testDomain
	now := time.Unix(1000, 0)
	a.now = func() time.Time { return now }
	if addr, ok := a.Redirect(u, "192.0.2.1", false); !ok || addr != net.JoinHostPort(host, "5222") {
		t.Fatalf("first login: %q %v", addr, ok)
	}
	if addr, ok := a.Redirect(u, "192.0.2.2", true); !ok || addr != net.JoinHostPort(host, "5223") {
		t.Fatalf("direct TLS from another address: %q %v", addr, ok)
	}
	if _, ok := a.Redirect(u, "192.0.2.1", false); ok {
		t.Fatal("a client that came back without following the redirect was redirected again")
	}
	if _, ok := a.Redirect(u, "192.0.2.1", false); ok {
		t.Fatal("a third attempt within the grace period was redirected")
	}
	now = now.Add(DefaultRedirectGrace + time.Second)
	if _, ok := a.Redirect(u, "192.0.2.1", false); !ok {
		t.Fatal("after the grace period the user was not redirected")
	}
}

func TestAffinityRememberIsBounded(t *testing.T) {
	a := mustAffinity(t, "xmpp1")
	for i := range maxRemembered + 10 {
		a.remember(redirectKey{strconv.Itoa(i), "ip"})
	}
	if len(a.seen) > maxRemembered {
		t.Fatalf("%d remembered", len(a.seen))
	}
}

// A member whose health checks fail loses its users to the others; this host keeps its own.
func TestAffinityFollowsHealth(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // nothing listens there: every check of xmpp2 and xmpp3 fails
	port := ln.Addr().(*net.TCPAddr).Port
	s := affinitySettings("xmpp1")
	for i := range s.Cluster.Members {
		s.Cluster.Members[i].Addresses = []string{"127.0.0.1"}
		s.Cluster.Members[i].Port = port
	}
	a, err := NewAffinity(s, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	var moved jid.JID
	for i := 0; ; i++ {
		if moved = user(t, fmt.Sprintf("m%d", i)); a.Owner(moved).Name != "xmpp1" {
			break
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for a.Owner(moved).Name != "xmpp1" {
		if time.Now().After(deadline) {
			t.Fatal("the owner of a user of a failing member did not change to this host")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, ok := a.Redirect(moved, "192.0.2.1", false); ok {
		t.Fatal("redirected to a failing member")
	}
}

func TestNewAffinityNeedsHost(t *testing.T) {
	if _, err := NewAffinity(affinitySettings(""), zerolog.Nop()); err == nil {
		t.Fatal("no error without cluster.host")
	}
}

// Users are shared by weight among the members of the best priority; a standby member
// (higher priority value) owns nobody while those are up.
func TestAffinityWeightsAndPriority(t *testing.T) {
	s := affinitySettings("xmpp1")
	s.Cluster.Members[0].Weight, s.Cluster.Members[1].Weight = 3, 1
	s.Cluster.Members[2].Priority = 20
	a, err := NewAffinity(s, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i := range 4000 {
		count[a.Owner(user(t, fmt.Sprintf("w%d", i))).Name]++
	}
	if count["xmpp3"] != 0 || count["xmpp1"] < 2700 || count["xmpp1"] > 3300 {
		t.Fatalf("owners %v: want about 3000 xmpp1, 1000 xmpp2, no xmpp3", count)
	}
}
