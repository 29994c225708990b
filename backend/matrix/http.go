package matrix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"maunium.net/go/mautrix"

	"github.com/gospectrum/spectrum2/backend/allow"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// loginError is a failed login with the DISCONNECTED code and text the daemon gets.
type loginError struct {
	code pb.ConnectionError
	text string
	err  error
}

func (e *loginError) Error() string {
	if e.err != nil {
		return e.text + ": " + e.err.Error()
	}
	return e.text
}

func (e *loginError) Unwrap() error { return e.err }

// failure classifies a login error for DISCONNECTED. The homeserver's refusal (a 4xx
// answer other than 429) and an address allowed_servers refuses are fatal and carry their
// text; anything else is a network error
// (code 0), after which the daemon logs the user in again (spec 3.4).
func failure(err error) (pb.ConnectionError, string) {
	var le *loginError
	if errors.As(err, &le) {
		return le.code, le.Error()
	}
	if allow.IsRefused(err) {
		return failure(refused(err))
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		st := he.Response.StatusCode
		if st >= 400 && st < 500 && st != http.StatusTooManyRequests {
			text := "login refused"
			if he.RespError != nil && he.RespError.Err != "" {
				text = he.RespError.Err
			}
			return pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, text
		}
	}
	return pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR, "homeserver unreachable: " + err.Error()
}

// httpClient makes the user's HTTP client: every address dialed must be allowed for server
// (the one the user named) or for the configured homeserver's host (which the administrator
// wrote); redirects are not followed (a homeserver has no reason to send one).
func httpClient(cfg Config, server string) *http.Client {
	hosts := []string{hostOf(server)}
	if u, err := url.Parse(cfg.Homeserver); err == nil && cfg.Homeserver != "" {
		hosts = append(hosts, u.Hostname())
	}
	d := cfg.Allowed.Dialer(net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}, hosts...)
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: cfg.ConnectTimeout,
		MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// homeserver finds the base URL for server: the configured one, else .well-known, else
// https://server. A server allowed_servers does not name, and an address it does not
// allow, are fatal (no re-login).
func homeserver(ctx context.Context, cfg Config, hc *http.Client, server string) (string, error) {
	if cfg.Allowed.HasNames() && !cfg.Allowed.Names(hostOf(server)) && !cfg.Allowed.Names(server) {
		return "", &loginError{code: pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME,
			text: "server not allowed", err: fmt.Errorf("%s is not in allowed_servers", server)}
	}
	if cfg.Homeserver != "" {
		return cfg.Homeserver, nil
	}
	wk, err := mautrix.DiscoverClientAPIWithClient(ctx, hc, server)
	if err != nil && allow.IsRefused(err) {
		return "", refused(err)
	}
	if err == nil && wk != nil && wk.Homeserver.BaseURL != "" {
		return wk.Homeserver.BaseURL, nil
	}
	// No .well-known (or a broken one): the spec's fallback is the server name itself.
	return "https://" + server, nil
}

func refused(err error) error {
	return &loginError{code: pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME, text: "server not allowed", err: err}
}
