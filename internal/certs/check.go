package certs

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// CheckName returns an error unless leaf is valid for domain, as a client that connects to
// domain verifies it (RFC 6125: the subject alternative names; the common name is ignored).
func CheckName(leaf *x509.Certificate, domain string) error {
	if leaf.VerifyHostname(domain) == nil {
		return nil
	}
	if len(leaf.DNSNames) == 0 {
		return fmt.Errorf("the certificate names no DNS name (clients ignore its common name %q), so it is not valid for %s",
			leaf.Subject.CommonName, domain)
	}
	return fmt.Errorf("the certificate is for %s, not %s", strings.Join(leaf.DNSNames, ", "), domain)
}

// Expiry describes a certificate that is not valid at now, or will not be within soon;
// it returns "" for one that is.
func Expiry(leaf *x509.Certificate, now time.Time, soon time.Duration) string {
	day := leaf.NotAfter.UTC().Format(time.DateOnly)
	switch left := leaf.NotAfter.Sub(now); {
	case now.Before(leaf.NotBefore):
		return "the certificate is not valid before " + leaf.NotBefore.UTC().Format(time.DateTime) + " UTC"
	case left <= 0:
		return fmt.Sprintf("the certificate expired on %s (%s ago)", day, days(-left))
	case left < soon:
		return fmt.Sprintf("the certificate expires on %s (in %s): renew it", day, days(left))
	}
	return ""
}

func days(d time.Duration) string {
	switch n := int(d.Hours() / 24); n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", n)
	}
}
