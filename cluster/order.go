package cluster

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/miekg/dns"
)

// Order returns SRV records in the order RFC 2782 tells a client to try them: lowest
// priority first and, within one priority, a weighted random selection. noService is true
// when the answer is the lone target "." ("decidedly not available at this domain"); the
// result is then empty. rnd is the source of randomness (nil: the runtime's generator).
func Order(rrs []*dns.SRV, rnd *rand.Rand) (ordered []*dns.SRV, noService bool) {
	if len(rrs) == 1 && rrs[0].Target == "." {
		return nil, true
	}
	byPrio := slices.Clone(rrs)
	slices.SortStableFunc(byPrio, func(a, b *dns.SRV) int { return cmp.Compare(a.Priority, b.Priority) })
	ordered = make([]*dns.SRV, 0, len(rrs))
	for len(byPrio) > 0 {
		n := 1
		for n < len(byPrio) && byPrio[n].Priority == byPrio[0].Priority {
			n++
		}
		ordered = append(ordered, weighted(byPrio[:n], rnd)...)
		byPrio = byPrio[n:]
	}
	return ordered, false
}

// weighted orders records of one priority by RFC 2782's weighted selection: zero-weight
// records go first in the candidate list, a random number in [0, sum of weights] picks the
// first record whose running sum reaches it, and the pick is removed until none is left.
func weighted(group []*dns.SRV, rnd *rand.Rand) []*dns.SRV {
	cand := make([]*dns.SRV, 0, len(group))
	for _, r := range group {
		if r.Weight == 0 {
			cand = append(cand, r)
		}
	}
	for _, r := range group {
		if r.Weight != 0 {
			cand = append(cand, r)
		}
	}
	out := make([]*dns.SRV, 0, len(group))
	for len(cand) > 0 {
		sum := 0
		for _, r := range cand {
			sum += int(r.Weight)
		}
		pick := randN(rnd, sum+1)
		i, run := 0, 0
		for ; i < len(cand)-1; i++ {
			run += int(cand[i].Weight)
			if run >= pick {
				break
			}
		}
		out = append(out, cand[i])
		cand = slices.Delete(cand, i, i+1)
	}
	return out
}

func randN(rnd *rand.Rand, n int) int {
	if rnd == nil {
		return rand.IntN(n)
	}
	return rnd.IntN(n)
}
