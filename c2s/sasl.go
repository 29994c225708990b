package c2s

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// SASL failure conditions of RFC 6120 section 6.5.
const (
	saslAborted             = "aborted"
	saslEncryptionRequired  = "encryption-required"
	saslIncorrectEncoding   = "incorrect-encoding"
	saslInvalidAuthzid      = "invalid-authzid"
	saslInvalidMechanism    = "invalid-mechanism"
	saslMalformedRequest    = "malformed-request"
	saslNotAuthorized       = "not-authorized"
	saslTemporaryAuthFailed = "temporary-auth-failure"
)

var noDeadline time.Time

// sasl runs one SASL exchange (RFC 6120 section 6.4). Unlike Spectrum 2 (spec 3.2), a
// failure lets the client try again, up to maxAuthFailures attempts, and the authzid is
// checked rather than ignored.
func (c *conn) sasl(auth *xmpp.Element) error {
	if c.authed {
		return &xmpp.StreamError{Condition: xmpp.CondPolicyViolation, Text: "already authenticated"}
	}
	c.saslUser = "" // this attempt's, for the log line of a failure
	if !c.tlsOn && c.srv.cfg.RequireEncryption {
		return c.saslFailure(saslEncryptionRequired, "use STARTTLS first")
	}
	if auth.Attr("mechanism") != "PLAIN" {
		return c.saslFailure(saslInvalidMechanism, "only PLAIN is offered")
	}
	if !c.srv.limits.login(c.src, time.Now()) {
		const text = "too many login attempts from your address"
		c.logLoginFailed(xmpp.CondPolicyViolation, text, nil)
		return &xmpp.StreamError{Condition: xmpp.CondPolicyViolation, Text: text}
	}
	resp, err := c.initialResponse(auth)
	if err != nil || resp == nil {
		return err
	}
	user, password, cond := parsePlain(*resp, c.srv.cfg.Domain)
	if cond != "" {
		return c.saslFailure(cond, "")
	}
	c.saslUser = user.String()
	if err := c.redirect(user); err != nil {
		return err // see-other-host: another host owns this user
	}
	grant, err := c.guardedAuthenticate(user, password)
	if err != nil {
		if c.isClosing() {
			return errEnded
		}
		var ae *AuthError
		if errors.As(err, &ae) {
			return c.saslFailure(ae.Condition, ae.Text)
		}
		return c.saslFailureCause(saslTemporaryAuthFailed, "the login could not be completed, try again later", err)
	}
	c.authed, c.user, c.grant = true, user, grant
	c.setLogContext("", user.String())
	c.log.Info().Msg("authenticated")
	if err := c.writeElement(xmpp.New(xmpp.NSSASL, "success")); err != nil {
		return err
	}
	c.rd.Restart()
	c.rd.SetLimits(c.srv.cfg.Limits) // the pre-authentication stanza limit is over
	return errRestart
}

// initialResponse returns the decoded PLAIN message: the initial response, or the
// response to an empty challenge when the client sent none. "=" is an empty initial
// response (RFC 6120 section 6.4.2). A nil message with a nil error means the exchange
// already failed (and was answered).
func (c *conn) initialResponse(auth *xmpp.Element) (*[]byte, error) {
	text := strings.TrimSpace(auth.Text())
	if text == "" {
		if err := c.writeElement(xmpp.New(xmpp.NSSASL, "challenge")); err != nil {
			return nil, err
		}
		el, err := c.rd.Next()
		if err != nil {
			return nil, err
		}
		switch {
		case el.Is(xmpp.NSSASL, "abort"):
			return nil, c.saslFailure(saslAborted, "")
		case !el.Is(xmpp.NSSASL, "response"):
			return nil, c.saslFailure(saslMalformedRequest, "expected <response/>")
		}
		text = strings.TrimSpace(el.Text())
	}
	if text == "=" {
		text = ""
	}
	b, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil {
		return nil, c.saslFailure(saslIncorrectEncoding, "")
	}
	return &b, nil
}

// parsePlain parses message = [authzid] NUL authcid NUL passwd (RFC 4616 section 2)
// strictly. The authcid is the localpart of the user's JID at domain; an authzid, when
// given, must be that same bare JID. cond is the SASL failure condition, "" on success.
func parsePlain(msg []byte, domain string) (user jid.JID, password, cond string) {
	if !utf8.Valid(msg) {
		return jid.JID{}, "", saslMalformedRequest
	}
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 || len(parts[2]) == 0 {
		return jid.JID{}, "", saslMalformedRequest
	}
	user, err := jid.New(string(parts[1]), domain, "")
	if err != nil || user.Localpart() == "" {
		return jid.JID{}, "", saslNotAuthorized
	}
	if authz := string(parts[0]); authz != "" {
		a, err := jid.Parse(authz)
		if err != nil || !a.Equal(user) {
			return jid.JID{}, "", saslInvalidAuthzid
		}
	}
	return user, string(parts[2]), ""
}

// errLockedOut is the answer to an attempt of an account or source at the threshold of
// failed logins (loginguard.go).
var errLockedOut = &AuthError{Condition: saslTemporaryAuthFailed, Text: "too many failed logins, try again later"}

// guardedAuthenticate is authenticate under the login guard: an account or source with
// too many failures is refused unasked, an attempt waits for its keys' back-off, and the
// answer to a refused password waits the back-off of the failure.
func (c *conn) guardedAuthenticate(user jid.JID, password string) (Grant, error) {
	account := user.String()
	wait, refused := c.srv.guard.begin(account, c.src, time.Now())
	if refused {
		return nil, errLockedOut
	}
	if err := c.pause(wait); err != nil {
		c.srv.guard.end(account, c.src, loginOther, time.Now())
		return nil, err
	}
	g, err := c.authenticate(user, password)
	var ae *AuthError
	switch {
	case err == nil:
		c.srv.guard.end(account, c.src, loginOK, time.Now())
	case errors.As(err, &ae) && ae.Condition == saslNotAuthorized:
		if perr := c.pause(c.srv.guard.end(account, c.src, loginFailed, time.Now())); perr != nil {
			return nil, perr
		}
	default:
		c.srv.guard.end(account, c.src, loginOther, time.Now())
	}
	return g, err
}

// pause waits d, or until the connection ends. The wait does not count against the
// negotiation timeout.
func (c *conn) pause(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.ctx.Done():
		return errEnded
	}
	c.negDL = c.negDL.Add(d)
	c.setReadDeadline(c.negDL)
	return nil
}

// authenticate asks the Authenticator, bounded by LoginTimeout. The wait does not count
// against the negotiation timeout: the legacy network may take its time. A client that
// hangs up meanwhile cancels the login.
func (c *conn) authenticate(user jid.JID, password string) (Grant, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.srv.cfg.LoginTimeout)
	defer cancel()
	stop := c.watchHangup(cancel)
	start := time.Now()
	g, err := c.srv.auth.Authenticate(ctx, user, password)
	stop()
	c.negDL = c.negDL.Add(time.Since(start))
	c.setReadDeadline(c.negDL)
	if err == nil && g == nil {
		err = errors.New("c2s: authenticator returned no grant")
	}
	if err != nil && g != nil {
		g.Release()
	}
	return g, err
}

// watchHangup calls cancel when the connection fails while the reader goroutine waits for
// a decision. Input that arrives stays buffered for the reader. The returned stop waits
// until the watcher no longer touches the Reader.
func (c *conn) watchHangup(cancel context.CancelFunc) (stop func()) {
	done := make(chan struct{})
	c.setReadDeadline(noDeadline)
	go func() {
		defer close(done)
		if err := c.rd.WaitInput(); err != nil && !isTimeout(err) {
			cancel()
		}
	}()
	return func() {
		c.setReadDeadline(time.Now()) // wakes WaitInput if it still waits
		<-done
	}
}

// saslFailure answers <failure/> with condition and text and logs the failed login; after
// maxAuthFailures the stream is closed (RFC 6120 section 6.4.5 lets the server limit retries).
func (c *conn) saslFailure(condition, text string) error {
	return c.saslFailureCause(condition, text, nil)
}

// saslFailureCause is saslFailure with the error behind it, for the log only.
func (c *conn) saslFailureCause(condition, text string, cause error) error {
	f := xmpp.New(xmpp.NSSASL, "failure").Append(xmpp.New(xmpp.NSSASL, condition))
	if text != "" {
		f.Append(xmpp.New(xmpp.NSSASL, "text").AppendText(text))
	}
	if err := c.writeElement(f); err != nil {
		return err
	}
	c.failures++
	if condition != saslAborted { // the client gave up; it did not fail
		c.logLoginFailed(condition, text, cause)
	}
	if c.failures >= maxAuthFailures {
		return &xmpp.StreamError{Condition: xmpp.CondPolicyViolation, Text: "too many failed authentication attempts"}
	}
	return nil
}

// logLoginFailed writes the one line of a failed login: warn level, in the stable format
// that the fail2ban filter of docs/fail2ban.md matches (a test runs it against this line):
// message "login failed", then ip (the client's address alone), jid (the bare JID the
// client gave, empty when none parsed) and reason (SASL condition, text, and the cause
// when the login could not be completed). Never the password.
func (c *conn) logLoginFailed(condition, text string, cause error) {
	reason := condition
	if text != "" {
		reason += ": " + text
	}
	if cause != nil {
		reason += " (" + cause.Error() + ")"
	}
	c.log.Warn().Str("ip", c.ip).Str("jid", c.saslUser).Str("reason", reason).
		Int("failures", c.failures).Msg("login failed")
}
