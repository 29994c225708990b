package c2s

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testGuard(entries int) *loginGuard {
	return newLoginGuard(Config{LoginFailures: 3, LoginFailureWindow: 10 * time.Minute,
		LoginBackoff: time.Second, LoginBackoffMax: 5 * time.Second}, entries)
}

// fail is one attempt of account from source refused for its password.
func (g *loginGuard) fail(t *testing.T, account, source string, now time.Time) time.Duration {
	t.Helper()
	if _, refused := g.begin(account, source, now); refused {
		t.Fatalf("%s from %s refused at %v", account, source, now)
	}
	return g.end(account, source, loginFailed, now)
}

// TestLoginGuardBackoff: the answer to each failure of a key waits twice as long as the
// last, up to the maximum, and the next attempt waits for it.
func TestLoginGuardBackoff(t *testing.T) {
	g := newLoginGuard(Config{LoginFailures: 100, LoginFailureWindow: time.Hour,
		LoginBackoff: time.Second, LoginBackoffMax: 5 * time.Second}, 16)
	now := time.Unix(1000, 0)
	for i, want := range []time.Duration{1, 2, 4, 5, 5} {
		if d := g.fail(t, "a@x", "10.0.0."+strconv.Itoa(i), now); d != want*time.Second {
			t.Errorf("failure %d: delay %v, want %v", i+1, d, want*time.Second)
		}
	}
	wait, _ := g.begin("a@x", "10.9.9.9", now.Add(time.Second))
	if wait != 4*time.Second {
		t.Errorf("next attempt of the account waits %v, want 4s", wait)
	}
	g.end("a@x", "10.9.9.9", loginOther, now)
	// Another account from a source that failed once waits for that source's back-off.
	if wait, _ := g.begin("b@x", "10.0.0.4", now); wait != time.Second {
		t.Errorf("attempt from a failed source waits %v, want 1s", wait)
	}
}

// TestLoginGuardThreshold: at the threshold an account and a source are refused, also
// attempts under way count, a success forgets the account's failures, and the window's end
// forgets them all.
func TestLoginGuardThreshold(t *testing.T) {
	g := testGuard(16)
	now := time.Unix(1000, 0)
	g.fail(t, "a@x", "s1", now)
	g.fail(t, "a@x", "s2", now)
	if _, refused := g.begin("a@x", "s3", now); refused {
		t.Fatal("the third attempt was refused")
	}
	if _, refused := g.begin("a@x", "s4", now); !refused {
		t.Fatal("a fourth attempt while the third is under way was asked")
	}
	g.end("a@x", "s3", loginOther, now) // not the password: uncounted
	if _, refused := g.begin("a@x", "s3", now); refused {
		t.Fatal("an attempt that ended for another reason was counted")
	}
	g.end("a@x", "s3", loginFailed, now)
	if _, refused := g.begin("a@x", "s5", now.Add(9*time.Minute)); !refused {
		t.Fatal("the account was asked past its threshold")
	}
	if _, refused := g.begin("a@x", "s5", now.Add(10*time.Minute)); refused {
		t.Fatal("the account was refused after its window ended")
	}
	g.end("a@x", "s5", loginOK, now.Add(10*time.Minute))

	// A source is refused for every account; a success of one forgets that account only.
	g.fail(t, "b@x", "s9", now)
	g.fail(t, "c@x", "s9", now)
	if _, refused := g.begin("d@x", "s9", now); refused {
		t.Fatal("the third attempt from s9 was refused")
	}
	g.end("d@x", "s9", loginOK, now)
	g.fail(t, "e@x", "s9", now)
	if _, refused := g.begin("f@x", "s9", now); !refused {
		t.Fatal("a source past its threshold was asked")
	}
	g.fail(t, "b@x", "s8", now) // b@x: 2 failures
	if _, refused := g.begin("b@x", "s7", now); refused {
		t.Fatal("b@x refused before its threshold")
	}
	g.end("b@x", "s7", loginOK, now)
	g.fail(t, "b@x", "s6", now)
	g.fail(t, "b@x", "s5", now)
	if _, refused := g.begin("b@x", "s4", now); refused {
		t.Fatal("a success did not forget the account's failures")
	}
}

// TestLoginGuardBound: each table holds at most its bound; the entry used least
// recently goes first, so a key that keeps failing stays.
func TestLoginGuardBound(t *testing.T) {
	const bound = 8
	g := testGuard(bound)
	now := time.Unix(1000, 0)
	g.fail(t, "victim@x", "s0", now)
	g.fail(t, "victim@x", "s0", now)
	for i := range 3 * bound {
		k := strconv.Itoa(i)
		g.fail(t, "u"+k+"@x", "src"+k, now)
		if i%(bound/2) == 0 { // the victim's entry is used again and again
			if _, refused := g.begin("victim@x", "s0", now); refused {
				t.Fatal("victim refused before its threshold")
			}
			g.end("victim@x", "s0", loginOther, now)
		}
		if g.accounts.size() > bound || g.sources.size() > bound {
			t.Fatalf("tables hold %d accounts and %d sources, bound %d", g.accounts.size(), g.sources.size(), bound)
		}
	}
	if g.accounts.size() != bound || g.sources.size() != bound {
		t.Errorf("tables hold %d accounts and %d sources, want %d", g.accounts.size(), g.sources.size(), bound)
	}
	if _, ok := g.accounts.m["u0@x"]; ok {
		t.Error("the entry used least recently was kept")
	}
	g.fail(t, "victim@x", "s0", now)
	if _, refused := g.begin("victim@x", "s0", now); !refused {
		t.Error("the victim's failures were forgotten at the bound")
	}
}

// TestSASLBackoffAndLockout: through a real stream, the answer to a wrong password waits
// for the back-off, and past the threshold the account is refused with
// temporary-auth-failure without asking the Authenticator, even with the right password.
func TestSASLBackoffAndLockout(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.LoginFailures, c.LoginBackoff, c.LoginBackoffMax = 2, 300*time.Millisecond, time.Second
	})
	attempt := func(password string) (string, time.Duration) {
		r := dialRaw(t, s)
		r.secure()
		start := time.Now()
		r.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` + plain("", "alice", password) + `</auth>`)
		got := r.expect("</failure>")
		return got, time.Since(start)
	}
	for i, min := range []time.Duration{300 * time.Millisecond, 600 * time.Millisecond} {
		got, took := attempt("nope")
		if !strings.Contains(got, "<not-authorized/>") || took < min {
			t.Errorf("failure %d: %q after %v, want not-authorized after at least %v", i+1, got, took, min)
		}
	}
	a.mu.Lock()
	asked := len(a.attempts)
	a.mu.Unlock()
	got, _ := attempt("secret")
	if !strings.Contains(got, "<temporary-auth-failure/>") || !strings.Contains(got, "too many failed logins") {
		t.Errorf("past the threshold: %q, want temporary-auth-failure", got)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.attempts) != asked {
		t.Errorf("the Authenticator was asked past the threshold")
	}
}

// TestLoginGuardSourceCountsFailuresOnly: many logins under way from one source (users
// behind one NAT, a reconnect storm) are not refused; its failures are.
func TestLoginGuardSourceCountsFailuresOnly(t *testing.T) {
	g := testGuard(16)
	now := time.Unix(1000, 0)
	for i := range 20 {
		if _, refused := g.begin(fmt.Sprintf("u%d@x", i), "nat", now); refused {
			t.Fatalf("attempt %d under way from one source was refused", i+1)
		}
	}
	for i := range 20 {
		g.end(fmt.Sprintf("u%d@x", i), "nat", loginOK, now)
	}
	for i := range 3 {
		g.fail(t, fmt.Sprintf("v%d@x", i), "nat", now)
	}
	if _, refused := g.begin("w@x", "nat", now); !refused {
		t.Fatal("a source past its threshold of failures was asked")
	}
}
