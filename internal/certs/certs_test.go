package certs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func generate(t *testing.T, domain string, notAfter time.Time) *Pair {
	t.Helper()
	p, err := Generate(domain, time.Now().Add(-time.Hour), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGenerateWriteLoad(t *testing.T) {
	dir := t.TempDir()
	p := generate(t, "gw.example.org", time.Now().AddDate(1, 0, 0))
	certFile, keyFile := filepath.Join(dir, "sub", "cert.pem"), filepath.Join(dir, "sub", "key.pem")
	if err := p.Write(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{certFile, keyFile} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	c, err := Load(certFile, keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Leaf.Raw, p.Leaf.Raw) || CheckName(c.Leaf, "gw.example.org") != nil {
		t.Errorf("loaded %v", c.Leaf.Subject)
	}
	both := write(t, dir, "both.pem", append(append([]byte(nil), p.KeyPEM...), p.CertPEM...))
	if _, err := Load(both, "", ""); err != nil {
		t.Errorf("one file with key and certificate: %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	a, b := generate(t, "a.example", time.Now().Add(time.Hour)), generate(t, "a.example", time.Now().Add(time.Hour))
	certA, keyA, keyB := write(t, dir, "a.pem", a.CertPEM), write(t, dir, "a.key", a.KeyPEM), write(t, dir, "b.key", b.KeyPEM)
	text := write(t, dir, "text.pem", []byte("not a certificate\n"))
	for _, c := range []struct {
		name, cert, key string
		want            error
		text            string
	}{
		{"mismatch", certA, keyB, ErrKeyMismatch, "b.key is not the key of"},
		{"key as cert", keyA, keyA, ErrNoCertificate, "a.key holds no certificate"},
		{"text as cert", text, keyA, ErrNoCertificate, "text.pem holds no certificate"},
		{"cert as key", certA, certA, ErrNoKey, "a.pem holds no private key"},
		{"missing", filepath.Join(dir, "none.pem"), keyA, os.ErrNotExist, "none.pem"},
		{"device", "/dev/zero", keyA, nil, "not a regular file"},
	} {
		_, err := Load(c.cert, c.key, "")
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestLoadPKCS12(t *testing.T) {
	dir := t.TempDir()
	p := generate(t, "a.example", time.Now().Add(time.Hour))
	key, err := parseKey("k", p.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pkcs12.Modern.Encode(key, p.Leaf, nil, "p12-secret")
	if err != nil {
		t.Fatal(err)
	}
	bundle := write(t, dir, "b.p12", data)
	c, err := Load(bundle, "", "p12-secret")
	if err != nil || !bytes.Equal(c.Leaf.Raw, p.Leaf.Raw) {
		t.Fatalf("%v", err)
	}
	_, err = Load(bundle, "", "wrong-secret")
	if !errors.Is(err, ErrPKCS12) || strings.Contains(err.Error(), "secret") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestCheckNameAndExpiry(t *testing.T) {
	now := time.Now()
	p := generate(t, "other.example", now.Add(3*24*time.Hour+time.Hour))
	if err := CheckName(p.Leaf, "gw.example.org"); err == nil || !strings.Contains(err.Error(), "for other.example, not gw.example.org") {
		t.Errorf("CheckName: %v", err)
	}
	if err := CheckName(p.Leaf, "other.example"); err != nil {
		t.Error(err)
	}
	const soon = 14 * 24 * time.Hour
	if got := Expiry(p.Leaf, now, soon); !strings.Contains(got, "in 3 days") {
		t.Errorf("soon: %q", got)
	}
	if got := Expiry(p.Leaf, now.AddDate(0, 0, 5), soon); !strings.Contains(got, "expired on") {
		t.Errorf("expired: %q", got)
	}
	if got := Expiry(p.Leaf, now.Add(-2*time.Hour), soon); !strings.Contains(got, "not valid before") {
		t.Errorf("not yet valid: %q", got)
	}
	if got := Expiry(generate(t, "a", now.AddDate(1, 0, 0)).Leaf, now, soon); got != "" {
		t.Errorf("valid for a year: %q", got)
	}
}
