package bench

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// CryptoCost is the public-key work of one TLS 1.3 handshake with the bench's settings
// (X25519, an ECDSA P-256 certificate), measured on the generator's core: what a client and
// a server each spend per login before anything else.
type CryptoCost struct {
	X25519 time.Duration // one key pair and one agreement: both sides do this
	Verify time.Duration // the client checks the server's CertificateVerify
	Sign   time.Duration // the server signs it
}

// Client is the client's share: key agreement and verification.
func (c CryptoCost) Client() time.Duration { return c.X25519 + c.Verify }

// Server is the server's share: key agreement and signature.
func (c CryptoCost) Server() time.Duration { return c.X25519 + c.Sign }

// MeasureCryptoCost times the three operations with testing.Benchmark (about 3 s).
func MeasureCryptoCost() CryptoCost {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256([]byte("TLS 1.3, server CertificateVerify"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, digest[:])
	peer, _ := ecdh.X25519().GenerateKey(rand.Reader)
	per := func(f func()) time.Duration {
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				f()
			}
		})
		return time.Duration(r.NsPerOp())
	}
	return CryptoCost{
		X25519: per(func() {
			k, _ := ecdh.X25519().GenerateKey(rand.Reader)
			_, _ = k.ECDH(peer.PublicKey())
		}),
		Verify: per(func() { ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) }),
		Sign:   per(func() { _, _ = ecdsa.SignASN1(rand.Reader, key, digest[:]) }),
	}
}
