package router

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
)

// passwordKey compares passwords in constant time, including their length (issue 18):
// subtle.ConstantTimeCompare returns at once for inputs of different lengths, so both
// sides are first reduced to HMAC-SHA256 under a key drawn at random when the router is
// made. The key never leaves the process, so the hashes say nothing outside it.
type passwordKey struct{ key [32]byte }

func newPasswordKey() *passwordKey {
	k := &passwordKey{}
	_, _ = rand.Read(k.key[:]) // crypto/rand.Read never fails (Go 1.24)
	return k
}

// sum is the keyed hash of p.
func (k *passwordKey) sum(p string) []byte {
	m := hmac.New(sha256.New, k.key[:])
	m.Write([]byte(p))
	return m.Sum(nil)
}

// equal reports whether a and b are the same password.
func (k *passwordKey) equal(a, b string) bool {
	return subtle.ConstantTimeCompare(k.sum(a), k.sum(b)) == 1
}
