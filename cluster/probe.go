package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// probeMode says how far a probe takes the connection.
type probeMode int

const (
	// streamOnly opens a stream and waits for the features (health checks).
	streamOnly probeMode = iota
	// startTLS opens a stream, upgrades it with STARTTLS and opens it again (RFC 6120 5.4).
	startTLS
	// directTLS does the TLS handshake first and then opens the stream (XEP-0368).
	directTLS
)

// probeLimits keep a misbehaving server from making the probe hold much.
var probeLimits = xmpp.Limits{MaxStanzaBytes: 64 << 10, MaxDepth: 16}

// probeInfo is what a successful probe learnt.
type probeInfo struct {
	tls  *tls.ConnectionState // nil for streamOnly
	took time.Duration
}

// probe connects to addr, opens a client stream to domain and, depending on mode,
// negotiates TLS with conf (whose ServerName should be the domain: XMPP certificates are
// checked against the service domain, not the SRV target, RFC 6120 section 13.7.2.1).
// It ends the stream politely and closes the connection.
func probe(ctx context.Context, addr, domain string, mode probeMode, conf *tls.Config) (probeInfo, error) {
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return probeInfo{}, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var info probeInfo
	var c net.Conn = conn
	if mode == directTLS {
		tc, err := handshake(ctx, conn, conf, "xmpp-client")
		if err != nil {
			return info, err
		}
		st := tc.ConnectionState()
		info.tls, c = &st, tc
	}
	r := xmpp.NewReader(c, probeLimits)
	feats, err := openStream(c, r, domain)
	if err != nil {
		return info, err
	}
	if mode == startTLS {
		tc, err := upgrade(ctx, c, r, feats, conf)
		if err != nil {
			return info, err
		}
		st := tc.ConnectionState()
		info.tls, c = &st, tc
		r.Reset(tc)
		if _, err := openStream(c, r, domain); err != nil {
			return info, fmt.Errorf("after STARTTLS: %w", err)
		}
	}
	info.took = time.Since(start)
	fmt.Fprint(c, "</stream:stream>")
	return info, nil
}

// openStream sends a stream header and returns the server's <stream:features/>.
func openStream(c net.Conn, r *xmpp.Reader, domain string) (*xmpp.Element, error) {
	hdr := "<?xml version='1.0'?><stream:stream to='" + domain + "' version='1.0' xml:lang='en'" +
		" xmlns='" + xmpp.NSClient + "' xmlns:stream='" + xmpp.NSStream + "'>"
	if _, err := c.Write([]byte(hdr)); err != nil {
		return nil, fmt.Errorf("stream open: %w", err)
	}
	if _, err := r.StreamHeader(); err != nil {
		return nil, fmt.Errorf("stream open: %w", err)
	}
	el, err := r.Next()
	if err != nil {
		return nil, fmt.Errorf("stream features: %w", err)
	}
	if err := streamErr(el); err != nil {
		return nil, err
	}
	if !el.Is(xmpp.NSStream, "features") {
		return nil, fmt.Errorf("stream features: got <%s/>", el.Local)
	}
	return el, nil
}

// upgrade does STARTTLS on a stream whose features were feats.
func upgrade(ctx context.Context, c net.Conn, r *xmpp.Reader, feats *xmpp.Element, conf *tls.Config) (*tls.Conn, error) {
	if feats.Child(xmpp.NSTLS, "starttls") == nil {
		return nil, errors.New("STARTTLS not offered")
	}
	if _, err := fmt.Fprintf(c, "<starttls xmlns='%s'/>", xmpp.NSTLS); err != nil {
		return nil, fmt.Errorf("starttls: %w", err)
	}
	el, err := r.Next()
	if err != nil {
		return nil, fmt.Errorf("starttls: %w", err)
	}
	if !el.Is(xmpp.NSTLS, "proceed") {
		return nil, fmt.Errorf("starttls: got <%s/>", el.Local)
	}
	return handshake(ctx, c, conf, "")
}

func handshake(ctx context.Context, c net.Conn, conf *tls.Config, alpn string) (*tls.Conn, error) {
	conf = conf.Clone()
	if alpn != "" {
		conf.NextProtos = []string{alpn}
	}
	tc := tls.Client(c, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// streamErr turns a <stream:error/> into an error naming its condition.
func streamErr(el *xmpp.Element) error {
	if !el.Is(xmpp.NSStream, "error") {
		return nil
	}
	cond := "undefined-condition"
	for _, ch := range el.Children() {
		if ch.Space == xmpp.NSStreams && ch.Local != "text" {
			cond = ch.Local
		}
	}
	return fmt.Errorf("stream error: %s", cond)
}
