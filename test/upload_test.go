package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend/demo"
)

// uploadConfig turns the upload service on, on a free loopback port, with small limits.
func uploadConfig(t *testing.T) string {
	return fmt.Sprintf("[upload]\nlisten = \"127.0.0.1:%d\"\nmax_file_size = 1000000\nquota = 2500000\nslot_expire_after = \"2s\"\n", freePort(t))
}

// httpsClient trusts the daemon's certificate, as a client of the upload service must.
func httpsClient(s *Server) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}}}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// fetch GETs url and returns the answer with its body read.
func fetch(t *testing.T, s *Server, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := httpsClient(s).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestUploadSlixmpp: slixmpp's xep_0363 finds the service, gets a slot and PUTs a file;
// another client fetches the GET URL and gets the same bytes, with the security headers,
// ranges, and after a restart of the daemon.
func TestUploadSlixmpp(t *testing.T) {
	s := StartServer(t, uploadConfig(t))
	pw := s.Password()
	data := randomBytes(t, 300_000)
	file := filepath.Join(t.TempDir(), "photo one.png")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(s.Dir, "data", "cert.pem")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "upload.py"),
		"--jid", "slix%demo@localhost", "--port", strconv.Itoa(s.Port), "--ca", ca, "--file", file)
	cmd.Env = append(os.Environ(), "UPLOAD_PASSWORD="+pw, "SSL_CERT_FILE="+ca)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	m := regexp.MustCompile(`(?m)^URL (\S+)$`).FindStringSubmatch(out.String())
	if err != nil || m == nil {
		t.Fatalf("slixmpp upload: %v\n%s", err, tail(out.String(), 60))
	}
	if !strings.Contains(out.String(), "MAX 1000000") {
		t.Errorf("slixmpp did not read max-file-size 1000000:\n%s", tail(out.String(), 10))
	}
	url := m[1]
	if !strings.HasSuffix(url, "/photo%20one.png") {
		t.Errorf("GET URL %s does not end in the file name", url)
	}
	resp, body := fetch(t, s, url)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET: %s, %d bytes, same: %v", resp.Status, len(body), bytes.Equal(body, data))
	}
	for k, want := range map[string]string{
		"Content-Type":            "image/png",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
		"Content-Disposition":     `inline; filename="photo one.png"`,
		"Accept-Ranges":           "bytes",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q has no max-age", cc)
	}
	resp, body = fetch(t, s, url, "Range", "bytes=1000-1999")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[1000:2000]) ||
		resp.Header.Get("Content-Range") != "bytes 1000-1999/300000" {
		t.Errorf("range: %s %q, %d bytes", resp.Status, resp.Header.Get("Content-Range"), len(body))
	}
	if resp, _ := fetch(t, s, strings.TrimSuffix(url, "one.png")+"two.png"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET with another name: %s, want 404", resp.Status)
	}
	s.Stop()
	s2 := restartServer(t, s)
	if resp, body := fetch(t, s2, url); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("after a restart: %s, %d bytes", resp.Status, len(body))
	}
}

// uploader is a raw XMPP client that asks for slots.
type uploader struct {
	*rawXMPP
	n int
}

func dialUploader(t *testing.T, s *Server, user string) *uploader {
	r := dialRawXMPP(t, s)
	r.login(user, s.Password())
	r.bind("up")
	return &uploader{rawXMPP: r}
}

var slotRe = regexp.MustCompile(`<put url="([^"]+)"><header name="Authorization">Bearer ([^<]+)</header></put><get url="([^"]+)"`)

// request asks for a slot and returns the answer up to its end.
func (u *uploader) request(name string, size int, ctype string) string {
	u.t.Helper()
	u.n++
	id := "slot" + strconv.Itoa(u.n)
	u.send(fmt.Sprintf(`<iq type="get" id="%s" to="upload.localhost"><request xmlns="urn:xmpp:http:upload:0" filename="%s" size="%d" content-type="%s"/></iq>`, id, name, size, ctype))
	u.expect(`id="` + id + `"`)
	return u.expect(`</iq>`)
}

// slot asks for a slot that must be granted: PUT URL, token, GET URL.
func (u *uploader) slot(name string, size int) (put, token, get string) {
	u.t.Helper()
	got := u.request(name, size, "application/octet-stream")
	m := slotRe.FindStringSubmatch(got)
	if m == nil {
		u.t.Fatalf("no slot: %s", got)
	}
	return html.UnescapeString(m[1]), m[2], html.UnescapeString(m[3])
}

func put(t *testing.T, s *Server, url, token string, data []byte, ctype string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := httpsClient(s).Do(req)
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUploadRefusals: disco, the size limit, the quota, a wrong token, a second PUT,
// a wrong size or type, an expired slot.
func TestUploadRefusals(t *testing.T) {
	mport := freePort(t)
	s := StartServer(t, uploadConfig(t)+fmt.Sprintf("[metrics]\nlisten = \"127.0.0.1:%d\"\n", mport))
	u := dialUploader(t, s, "ref%demo")
	u.send(`<iq type="get" id="items" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`)
	u.expect(`id="items"`)
	if got := u.expect(`</iq>`); !strings.Contains(got, `<item jid="upload.localhost" name="HTTP File Upload"`) {
		t.Errorf("disco#items of the server: %s", got)
	}
	u.send(`<iq type="get" id="info" to="upload.localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	u.expect(`id="info"`)
	got := u.expect(`</iq>`)
	for _, want := range []string{`category="store" type="file"`, `var="urn:xmpp:http:upload:0"`, `<field var="max-file-size"><value>1000000</value>`} {
		if !strings.Contains(got, want) {
			t.Errorf("disco#info lacks %s: %s", want, got)
		}
	}
	got = u.request("big.bin", 1_000_001, "application/octet-stream")
	if !strings.Contains(got, `<not-acceptable`) || !strings.Contains(got, `<file-too-large xmlns="urn:xmpp:http:upload:0"><max-file-size>1000000</max-file-size>`) {
		t.Errorf("too large: %s", got)
	}
	data := randomBytes(t, 900_000)
	putURL, token, getURL := u.slot("a.bin", len(data))
	if code := put(t, s, putURL, token+"x", data, "application/octet-stream"); code != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", code)
	}
	if code := put(t, s, putURL, "", data, "application/octet-stream"); code != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", code)
	}
	if code := put(t, s, putURL, token, data[:10], "application/octet-stream"); code != http.StatusBadRequest {
		t.Errorf("wrong size: %d, want 400", code)
	}
	if code := put(t, s, putURL, token, data, "text/html"); code != http.StatusBadRequest {
		t.Errorf("wrong type: %d, want 400", code)
	}
	if resp, _ := fetch(t, s, getURL); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET before the PUT: %s", resp.Status)
	}
	if code := put(t, s, putURL, token, data, "application/octet-stream"); code != http.StatusCreated {
		t.Fatalf("PUT: %d, want 201", code)
	}
	if code := put(t, s, putURL, token, data, "application/octet-stream"); code != http.StatusConflict {
		t.Errorf("second PUT: %d, want 409", code)
	}
	if resp, body := fetch(t, s, getURL); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=a.bin` {
		t.Errorf("GET: %s, %d bytes, %q", resp.Status, len(body), resp.Header.Get("Content-Disposition"))
	}
	// 900,000 stored + 900,000 in a slot; another 900,000 passes the quota of 2,500,000.
	putURL2, token2, _ := u.slot("b.bin", 900_000)
	got = u.request("c.bin", 900_000, "application/octet-stream")
	if !strings.Contains(got, `type="wait"`) || !strings.Contains(got, `<resource-constraint`) {
		t.Errorf("quota: %s", got)
	}
	time.Sleep(2500 * time.Millisecond) // slot_expire_after = 2s
	if code := put(t, s, putURL2, token2, data, "application/octet-stream"); code != http.StatusGone && code != http.StatusNotFound {
		t.Errorf("expired slot: %d, want 410 or 404", code)
	}
	u.send(`<message to="upload.localhost" type="chat" id="m1"><body>hi</body></message>`)
	if got := u.expect(`</message>`); !strings.Contains(got, `service-unavailable`) {
		t.Errorf("message to the service: %s", got)
	}
	m := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", mport))
	for name, want := range map[string]float64{
		"spectrum2_upload_files_total":                       1,
		"spectrum2_upload_bytes_total":                       900_000,
		`spectrum2_upload_refused_total{reason="too_large"}`: 1,
		`spectrum2_upload_refused_total{reason="quota"}`:     1,
		`spectrum2_upload_refused_total{reason="token"}`:     2,
		`spectrum2_upload_refused_total{reason="size"}`:      1,
		`spectrum2_upload_refused_total{reason="type"}`:      1,
		`spectrum2_upload_refused_total{reason="used"}`:      1,
		`spectrum2_upload_refused_total{reason="expired"}`:   1,
	} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
	}
}

// TestUploadSIGHUPCertificate: after the certificate files change and SIGHUP, the upload
// listener serves the new certificate (it asks c2s for it at every handshake), and a
// download over it works.
func TestUploadSIGHUPCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	old := writeCert(t, certFile, keyFile, "first")
	port := freePort(t)
	s := StartServer(t, fmt.Sprintf("cert = %q\nkey = %q\n[upload]\nlisten = \"127.0.0.1:%d\"\n", certFile, keyFile, port))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	serial := func() *big.Int {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only reading the certificate
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber
	}
	if got := serial(); got.Cmp(old.SerialNumber) != 0 {
		t.Fatalf("the upload listener serves serial %v, not the configured certificate's %v", got, old.SerialNumber)
	}
	renewed := writeCert(t, certFile, keyFile, "second")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(opsWait)
	for serial().Cmp(renewed.SerialNumber) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the upload listener did not serve the new certificate within %v of SIGHUP", opsWait)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The harness's clients trust data/cert.pem: make it the renewed certificate.
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "data", "cert.pem"), pem, 0o600); err != nil {
		t.Fatal(err)
	}
	u := dialUploader(t, s, "hup%demo")
	data := randomBytes(t, 1000)
	putURL, token, getURL := u.slot("after.bin", len(data))
	if code := put(t, s, putURL, token, data, "application/octet-stream"); code != http.StatusCreated {
		t.Fatalf("PUT with the renewed certificate trusted: %d", code)
	}
	if resp, body := fetch(t, s, getURL); !bytes.Equal(body, data) {
		t.Errorf("GET after the reload: %s, %d bytes", resp.Status, len(body))
	}
}

var oobRe = regexp.MustCompile(`<body>(https://[^<]+)</body><x xmlns="jabber:x:oob"><url>([^<]+)</url><desc>demo.png</desc>`)

// TestUploadDemoPicture: echo sends a picture as a file transfer (FT_* frames); it
// arrives as a URL with OOB that downloads the same bytes.
func TestUploadDemoPicture(t *testing.T) {
	s := StartServer(t, uploadConfig(t))
	u := dialUploader(t, s, "pic%demo")
	u.send(`<presence/>`)
	u.expect(`<presence from="echo@localhost/bot"`)
	u.send(`<message to="echo@localhost" type="chat" id="p1"><body>` + demo.PictureRequest + `</body></message>`)
	u.expect(`<message from="echo@localhost/bot"`)
	got := u.expect(`</message>`)
	m := oobRe.FindStringSubmatch(got)
	if m == nil || m[1] != m[2] {
		t.Fatalf("no picture link: %s", got)
	}
	resp, body := fetch(t, s, html.UnescapeString(m[1]))
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, demo.Picture()) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("picture: %s %q, %d bytes (want %d)", resp.Status, resp.Header.Get("Content-Type"), len(body), len(demo.Picture()))
	}
}
