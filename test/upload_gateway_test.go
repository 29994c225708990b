package test

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"
)

// uploadAndLink uploads data through u's slot and returns the GET URL, which then serves it.
func uploadAndLink(t *testing.T, s *Server, u *uploader, name string, data []byte) string {
	t.Helper()
	putURL, token, getURL := u.slot(name, len(data))
	if code := put(t, s, putURL, token, data, "application/octet-stream"); code != http.StatusCreated {
		t.Fatalf("PUT: %d", code)
	}
	return getURL
}

// conversationsMessage is a message as Conversations sends a file: the GET URL as the
// body and as the XEP-0066 OOB URL.
func conversationsMessage(to, url string) string {
	u := html.EscapeString(url)
	return `<message to="` + to + `" type="chat" id="file1"><body>` + u + `</body><x xmlns="jabber:x:oob"><url>` + u + `</url></x></message>`
}

// TestUploadURLToIRC: a file a user uploaded and sent as Conversations does (body and
// OOB) reaches an IRC user through builtin:irc and ngircd as the URL text, which serves
// the file.
func TestUploadURLToIRC(t *testing.T) {
	irc := startIRCd(t, false)
	s := startIRCGateway(t, `irc_server = "`+irc.Addr()+`"`, uploadConfig(t))
	peer := connectPeer(t, irc, "urlpeer")
	u := dialUploader(t, s, "urlclient")
	u.send(`<presence/>`)
	peer.Send("PRIVMSG urlclient :hello")
	u.expect(`hello</body>`)
	data := randomBytes(t, 50_000)
	url := uploadAndLink(t, s, u, "cat.png", data)
	u.send(conversationsMessage("urlpeer@localhost", url))
	line := peer.Expect("PRIVMSG urlpeer :")
	if !strings.HasSuffix(strings.TrimRight(line, "\r\n"), "PRIVMSG urlpeer :"+url) {
		t.Fatalf("the IRC peer got %q, want the URL %s", line, url)
	}
	if resp, body := fetch(t, s, url); resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("the URL the IRC peer got: %s, %d bytes", resp.Status, len(body))
	}
}

// TestUploadURLThroughXMPP: through builtin:xmpp the uploaded file's message reaches a
// Prosody user with body and OOB (features.attachments), so that the remote client shows
// it inline; the remote user's OOB file comes back to the gateway's user as URL + OOB.
func TestUploadURLThroughXMPP(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	p := StartProsody(t, "alice", alicePW, "bob", bobPW)
	xmppBefriend(t, p, alicePW, bobPW)
	s := StartServerWith(t, "builtin:xmpp", fmt.Sprintf("allowed_servers = [%q]\n[backend_ini.xmpp]\nserver = %q\nca_file = %q\n",
		p.IP, p.Addr(), p.CAFile)+uploadConfig(t))
	s.secrets = append(s.secrets, alicePW, bobPW)
	bob := p.MustDial("bob", bobPW, "phone")
	inb := Listen(bob)

	r := dialRawXMPP(t, s)
	r.login("alice%"+remoteDomain, alicePW)
	r.bind("up")
	u := &uploader{rawXMPP: r}
	u.send(`<presence/>`)
	u.expect(`<presence from="` + xmppBobBuddy)
	data := randomBytes(t, 20_000)
	url := uploadAndLink(t, s, u, "dog.jpg", data)
	u.send(conversationsMessage(xmppBobBuddy, url))
	got := inb.Wait(t, "alice's file", xmppWait, xmppChat(xmppAliceJID, "chat", url)).(xmpp.Chat)
	if got.Oob.Url != url {
		t.Errorf("the message reached bob without its OOB URL: %+v", got.Oob)
	}

	remote := "https://files.example.org/abc/photo.jpg"
	xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b-oob'><body>`+remote+`</body>`+
		`<x xmlns='jabber:x:oob'><url>`+remote+`</url><desc>a photo</desc></x></message>`)
	u.expect(`<message from="` + xmppBobBuddy)
	msg := u.expect(`</message>`)
	if !strings.Contains(msg, `<body>`+remote+`</body>`) ||
		!strings.Contains(msg, `<x xmlns="jabber:x:oob"><url>`+remote+`</url><desc>a photo</desc></x>`) {
		t.Errorf("bob's OOB file at the gateway's user: %s", msg)
	}
}
