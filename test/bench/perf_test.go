package bench

import "testing"

func TestGoPackage(t *testing.T) {
	tests := map[string]string{
		"crypto/tls.(*Conn).Read":                                  "crypto/tls",
		"github.com/gospectrum/spectrum2/c2s.(*conn).handleStanza": "github.com/gospectrum/spectrum2/c2s",
		"runtime.mallocgc":                                         "runtime",
		"crypto/internal/fips140/edwards25519/field.feMul.abi0":    "crypto/internal/fips140/edwards25519/field",
		"[kernel] tcp_ack":                                         "[kernel]",
		"indexbytebody":                                            "indexbytebody",
	}
	for sym, want := range tests {
		if got := goPackage(sym); got != want {
			t.Errorf("goPackage(%q) = %q, want %q", sym, got, want)
		}
	}
}
