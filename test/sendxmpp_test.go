package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// TestGoSendxmpp: Debian's go-sendxmpp, an independent command-line client, logs in over
// STARTTLS and over direct TLS and sends a message to echo; a go-xmpp resource of the same
// user sees it as a carbon (XEP-0280), which proves the message went through the router.
// go-sendxmpp has no option for a private CA, so it runs with -n (no certificate check);
// certificate verification is covered by the go-xmpp tests.
func TestGoSendxmpp(t *testing.T) {
	bin, err := exec.LookPath("go-sendxmpp")
	if err != nil {
		t.Fatalf("go-sendxmpp is not installed (Debian package go-sendxmpp; .ci/run installs it): %v", err)
	}
	s := StartServer(t, "")
	pw := s.Password()
	watch := s.MustDial("gina%demo@localhost", pw, "watch")
	in := Listen(watch)
	if _, err := watch.SendOrg(`<iq type='set' id='carbons1'><enable xmlns='urn:xmpp:carbons:2'/></iq>`); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "carbons enabled", 30*time.Second, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == "carbons1" && iq.Type == "result"
	})
	rc := filepath.Join(t.TempDir(), "sendxmpprc")
	if err := os.WriteFile(rc, []byte("username: gina%demo@localhost\npassword: "+pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, direct := range []bool{false, true} {
		text := fmt.Sprintf("from go-sendxmpp, direct TLS %v", direct)
		args := []string{"-f", rc, "-n", "--timeout", "30", "-j", s.Addr(), "echo@localhost"}
		if direct {
			args = []string{"-f", rc, "-n", "-t", "--timeout", "30", "-j", s.TLSAddr(), "echo@localhost"}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdin = strings.NewReader(text + "\n")
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("go-sendxmpp (direct TLS %v): %v\n%s", direct, err, out)
		}
		in.Wait(t, "carbon of the go-sendxmpp message", 30*time.Second, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			if !ok {
				return false
			}
			for _, e := range m.OtherElem {
				if e.XMLName.Local == "sent" && strings.Contains(e.InnerXML, text) {
					return true
				}
			}
			return false
		})
	}
}
