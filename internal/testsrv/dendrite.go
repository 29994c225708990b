package testsrv

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DendriteVersion is the Dendrite that scripts/deps.sh builds from the Go module proxy
// (github.com/matrix-org/dendrite/cmd/dendrite) and StartDendrite runs.
const DendriteVersion = "v0.13.8"

// DendriteBin is where scripts/deps.sh puts the dendrite binary: $SPECTRUM2_DENDRITE when
// set, else the user's cache directory (os.UserCacheDir, which deps.sh computes alike):
// spectrum2/dendrite-VERSION/dendrite. It is built outside the project's module so that
// Dendrite's dependencies stay out of go.mod.
func DendriteBin() (string, error) {
	if p := os.Getenv("SPECTRUM2_DENDRITE"); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("dendrite: no cache directory: %w", err)
	}
	return filepath.Join(cache, "spectrum2", "dendrite-"+DendriteVersion, "dendrite"), nil
}

// Dendrite is a real Dendrite homeserver started by a test: SQLite in a temporary
// directory, plain HTTP on one loopback port, no federation, registration only through the
// shared-secret admin API.
type Dendrite struct {
	t          testing.TB
	dir        string
	bin        string
	ServerName string // the Matrix server name: user IDs are @name:ServerName
	Port       int
	secret     string
	proc       process
	tmp        string // LaunchDendrite's directory, removed by Close
}

// dendriteConfig is the configuration StartDendrite writes; %[n] are filled by Start.
const dendriteConfig = `# written by internal/testsrv
version: 2
global:
  server_name: %[1]s
  private_key: %[2]s/matrix_key.pem
  key_validity_period: 168h0m0s
  disable_federation: true
  trusted_third_party_id_servers: []
  # on, or local users' presence is not in /sync either (builtin:matrix maps it); with
  # federation off nothing leaves the host
  presence: {enable_inbound: true, enable_outbound: true}
  report_stats: {enabled: false}
  cache: {max_size_estimated: 64mb, max_age: 1h}
  jetstream: {storage_path: %[2]s/jetstream, topic_prefix: Dendrite}
  dns_cache: {enabled: false}
app_service_api: {database: {connection_string: "file:%[2]s/appservice.db"}}
client_api:
  registration_disabled: true
  guests_disabled: true
  registration_shared_secret: %[3]q
  rate_limiting: {enabled: false}
federation_api:
  database: {connection_string: "file:%[2]s/federationapi.db"}
  key_perspectives: []
key_server: {database: {connection_string: "file:%[2]s/keyserver.db"}}
media_api:
  database: {connection_string: "file:%[2]s/mediaapi.db"}
  base_path: %[2]s/media
  max_file_size_bytes: 10485760
mscs: {mscs: [], database: {connection_string: "file:%[2]s/mscs.db"}}
relay_api: {database: {connection_string: "file:%[2]s/relayapi.db"}}
room_server: {database: {connection_string: "file:%[2]s/roomserver.db"}}
sync_api:
  database: {connection_string: "file:%[2]s/syncapi.db"}
  search: {enabled: false}
user_api:
  account_database: {connection_string: "file:%[2]s/userapi.db"}
  bcrypt_cost: 4
logging:
  - {type: file, level: info, params: {path: %[2]s/logs}}
`

// StartDendrite writes a configuration and a signing key into a temporary directory and
// runs Dendrite on a free port of 127.0.0.1 for serverName ("" is "matrix.test"); it is
// stopped by PID when the test ends. A missing binary fails the test: `make deps` builds
// it.
func StartDendrite(t testing.TB, serverName string) *Dendrite {
	t.Helper()
	if serverName == "" {
		serverName = "matrix.test"
	}
	bin, err := DendriteBin()
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		t.Fatalf("dendrite %s is not built (make deps builds it): %v", DendriteVersion, err)
	}
	d := &Dendrite{t: t, dir: t.TempDir(), bin: bin, ServerName: serverName,
		Port: FreePortOn(t, "127.0.0.1"), secret: randomHex(t, 16)}
	for _, sub := range []string{"jetstream", "media", "logs"} {
		if err := os.Mkdir(filepath.Join(d.dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	d.writeKey()
	cfg := fmt.Sprintf(dendriteConfig, serverName, d.dir, d.secret)
	if err := os.WriteFile(d.config(), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	d.Start()
	return d
}

func (d *Dendrite) config() string { return filepath.Join(d.dir, "dendrite.yaml") }

// writeKey writes the server's ed25519 signing key as Dendrite's generate-keys does: the
// 32-byte seed in a "MATRIX PRIVATE KEY" PEM block with its key ID.
func (d *Dendrite) writeKey() {
	d.t.Helper()
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		d.t.Fatal(err)
	}
	block := &pem.Block{Type: "MATRIX PRIVATE KEY", Headers: map[string]string{"Key-ID": "ed25519:test"}, Bytes: seed}
	if err := os.WriteFile(filepath.Join(d.dir, "matrix_key.pem"), pem.EncodeToMemory(block), 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// URL is the homeserver's base URL (client-server API).
func (d *Dendrite) URL() string { return "http://" + d.Addr() }

// Addr is the HTTP listener's host:port.
func (d *Dendrite) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Port)) }

// UserID is the Matrix user ID of name on this server.
func (d *Dendrite) UserID(name string) string { return "@" + name + ":" + d.ServerName }

// Start runs Dendrite and waits until /_matrix/client/versions answers; after Stop it
// starts it again on the same port and data.
func (d *Dendrite) Start() {
	d.t.Helper()
	out, err := os.OpenFile(filepath.Join(d.dir, "stdout.txt"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer out.Close()
	// The HTTPS listener is only opened with a certificate; its address must still parse.
	bin := d.bin
	cmd := exec.Command(bin, "-config", d.config(), "-http-bind-address", d.Addr(),
		"-https-bind-address", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr, cmd.Dir = out, out, d.dir
	if err := d.proc.start(cmd); err != nil {
		d.t.Fatalf("dendrite: %v", err)
	}
	d.waitReady()
}

// waitReady waits, with room for a slow CI machine (Dendrite migrates its SQLite databases
// at start), until the client API answers.
func (d *Dendrite) waitReady() {
	d.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := d.http(2 * time.Second).Get(d.URL() + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		if !d.proc.running() {
			d.t.Fatalf("dendrite exited at start\n%s", d.Logs())
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("dendrite does not answer on %s: %v\n%s", d.Addr(), err, d.Logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Stop ends Dendrite by its PID (SIGTERM, then SIGKILL if it lingers) and waits for it. It
// may be called twice.
func (d *Dendrite) Stop() { d.proc.stop(20 * time.Second) }

// Restart stops Dendrite and starts it again on the same port and data.
func (d *Dendrite) Restart() {
	d.t.Helper()
	d.Stop()
	d.Start()
}

// Register creates the account name:password through the shared-secret registration API
// (/_synapse/admin/v1/register, which Dendrite implements): a nonce, then the HMAC-SHA1 of
// nonce, name, password and "notadmin" under the secret.
func (d *Dendrite) Register(name, password string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := d.call(ctx, http.MethodGet, nil, &nonce); err != nil {
		d.t.Fatalf("dendrite: registration nonce: %v", err)
	}
	mac := hmac.New(sha1.New, []byte(d.secret))
	mac.Write([]byte(strings.Join([]string{nonce.Nonce, name, password, "notadmin"}, "\x00")))
	req := map[string]any{"nonce": nonce.Nonce, "username": name, "password": password,
		"admin": false, "mac": hex.EncodeToString(mac.Sum(nil))}
	if err := d.call(ctx, http.MethodPost, req, nil); err != nil {
		// Not the request: it holds the password.
		d.t.Fatalf("dendrite: register %s: %v", name, err)
	}
}

// call does one request to the registration endpoint.
func (d *Dendrite) call(ctx context.Context, method string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.URL()+"/_synapse/admin/v1/register", rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http(0).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s: %s", resp.Status, data)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// http is a client without keep-alive: no connection (and goroutine) outlives a request.
func (d *Dendrite) http(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

// Logs is Dendrite's output and log files, for a failing test to show.
func (d *Dendrite) Logs() string {
	var b strings.Builder
	data, _ := os.ReadFile(filepath.Join(d.dir, "stdout.txt"))
	fmt.Fprintf(&b, "--- stdout.txt\n%s", data)
	logs, _ := filepath.Glob(filepath.Join(d.dir, "logs", "*"))
	for _, f := range logs {
		data, _ := os.ReadFile(f)
		if len(data) > 16<<10 {
			data = data[len(data)-16<<10:]
		}
		fmt.Fprintf(&b, "--- %s (end)\n%s", filepath.Base(f), data)
	}
	return b.String()
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// LaunchDendrite is StartDendrite for programs that are not tests (the benchmarks): the
// caller ends it with Close, and Register's failures are RegisterErr's errors.
func LaunchDendrite(serverName string) (d *Dendrite, err error) {
	dir, err := os.MkdirTemp("", "testsrv-dendrite-")
	if err != nil {
		return nil, err
	}
	lt := &launchT{dir: dir}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(launchFailure)
			if !ok {
				panic(r)
			}
			if d != nil {
				d.Stop()
			}
			os.RemoveAll(dir)
			d, err = nil, f
		}
	}()
	d = StartDendrite(lt, serverName)
	d.tmp = dir
	return d, nil
}

// Close stops a launched Dendrite and removes its directory.
func (d *Dendrite) Close() {
	d.Stop()
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
	}
}

// RegisterErr is Register for a launched Dendrite: the failure as an error.
func (d *Dendrite) RegisterErr(name, password string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(launchFailure)
			if !ok {
				panic(r)
			}
			err = f
		}
	}()
	d.Register(name, password)
	return nil
}

// launchT stands in for the test of a launched Dendrite: a failure panics with a
// launchFailure, which LaunchDendrite and RegisterErr turn back into an error. Only what
// the helpers call is implemented.
type launchT struct {
	testing.TB
	dir string
}

type launchFailure struct{ msg string }

func (f launchFailure) Error() string { return "dendrite: " + f.msg }

func (*launchT) Helper()                        {}
func (*launchT) Fatal(args ...any)              { panic(launchFailure{fmt.Sprint(args...)}) }
func (*launchT) Fatalf(format string, a ...any) { panic(launchFailure{fmt.Sprintf(format, a...)}) }
func (l *launchT) TempDir() string              { return l.dir }
func (*launchT) Cleanup(func())                 {} // Close stops it
