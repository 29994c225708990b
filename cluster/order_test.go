package cluster

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"
)

func srv(target string, prio, weight uint16) *dns.SRV {
	return &dns.SRV{Hdr: dns.RR_Header{Rrtype: dns.TypeSRV}, Target: target, Priority: prio, Weight: weight, Port: 5222}
}

func TestOrderPriorities(t *testing.T) {
	rrs := []*dns.SRV{srv("c.", 20, 1), srv("a1.", 0, 5), srv("b.", 10, 100), srv("a2.", 0, 5)}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		got, none := Order(rrs, rnd)
		if none || len(got) != 4 {
			t.Fatalf("Order = %v, %v", got, none)
		}
		if got[0].Priority != 0 || got[1].Priority != 0 || got[2].Target != "b." || got[3].Target != "c." {
			t.Fatalf("priorities not respected: %v", got)
		}
	}
}

// TestOrderWeights: the first pick among equal priorities follows the weights (RFC 2782):
// weights 1:3 must give 25% and 75% first picks, within 3 points over 20000 draws.
func TestOrderWeights(t *testing.T) {
	rrs := []*dns.SRV{srv("light.", 5, 10), srv("heavy.", 5, 30)}
	rnd := rand.New(rand.NewPCG(42, 7))
	const draws = 20000
	first := map[string]int{}
	for range draws {
		got, _ := Order(rrs, rnd)
		first[got[0].Target]++
	}
	// RFC 2782 picks in [0, sum]; the first record wins for 0..10 of 0..40: 11/41.
	want := 11.0 / 41.0
	if share := float64(first["light."]) / draws; math.Abs(share-want) > 0.03 {
		t.Errorf("light first in %.3f of draws, want %.3f ± 0.03 (%v)", share, want, first)
	}
}

// TestOrderZeroWeight: a zero-weight record is chosen rarely, but it is still tried.
func TestOrderZeroWeight(t *testing.T) {
	rrs := []*dns.SRV{srv("zero.", 0, 0), srv("one.", 0, 100)}
	rnd := rand.New(rand.NewPCG(3, 4))
	firstZero := 0
	for range 5000 {
		got, _ := Order(rrs, rnd)
		if len(got) != 2 {
			t.Fatalf("lost a record: %v", got)
		}
		if got[0].Target == "zero." {
			firstZero++
		}
	}
	if firstZero > 150 { // expected 1/101 of 5000 ≈ 50
		t.Errorf("zero-weight record first %d times of 5000", firstZero)
	}
}

func TestOrderNoService(t *testing.T) {
	got, none := Order([]*dns.SRV{srv(".", 0, 0)}, nil)
	if !none || len(got) != 0 {
		t.Errorf("lone \".\" target: got %v, noService %v", got, none)
	}
	got, none = Order(nil, nil)
	if none || len(got) != 0 {
		t.Errorf("no records: got %v, noService %v", got, none)
	}
}
