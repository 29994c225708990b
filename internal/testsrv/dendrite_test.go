package testsrv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestDendrite starts Dendrite, registers an account through the shared-secret API, logs it
// in with its password (and not with another), and checks that the account survives a
// restart on the same port.
func TestDendrite(t *testing.T) {
	d := StartDendrite(t, "")
	d.Register("alice", "alice-secret")
	login := func(password string) int {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"type": "m.login.password", "password": password,
			"identifier": map[string]string{"type": "m.id.user", "user": "alice"}})
		resp, err := d.http(30*time.Second).Post(d.URL()+"/_matrix/client/v3/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := login("alice-secret"); got != http.StatusOK {
		t.Fatalf("login: HTTP %d\n%s", got, d.Logs())
	}
	if got := login("wrong"); got != http.StatusForbidden {
		t.Errorf("login with a wrong password: HTTP %d, want 403", got)
	}
	d.Restart()
	if got := login("alice-secret"); got != http.StatusOK {
		t.Fatalf("login after restart: HTTP %d\n%s", got, d.Logs())
	}
	if d.UserID("alice") != "@alice:matrix.test" {
		t.Errorf("UserID = %s", d.UserID("alice"))
	}
}
