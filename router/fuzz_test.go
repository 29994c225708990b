package router

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/router/jidmap"
	"mellium.im/xmpp/jid"
)

// FuzzJIDMapping checks the buddy JID mapping (spec 3.7) on arbitrary legacy names, with
// and without XEP-0106 escaping: escaping is undone exactly, and the JID of every buddy
// the roster accepts is a valid bare JID at our domain that maps back to that buddy.
func FuzzJIDMapping(f *testing.F) {
	for _, s := range []string{
		"alice", "Alice@Wonder.land", "a%b", "a%b@c", `a\20b`, `\5c`, `\`, "x y/z", "ü@ß.de",
		"a@b@c", "%", "@", "a'b\"c&d<e>f:g", "Buddy1@Test", "nick|away", "ǅ", "a%b c",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, name string, escaping bool) {
		if got := jidmap.UnescapeNode(jidmap.EscapeNode(name)); got != name {
			t.Fatalf("UnescapeNode(EscapeNode(%q)) = %q", name, got)
		}
		r := New(Config{Domain: "localhost", JIDEscaping: escaping})
		r.SetBackends(&fakeBackends{r: r})
		u := newUser(r, jid.MustParse("bob@localhost"))
		b := u.addBuddy(name)
		if b == nil || isRoomName(name) {
			return // no valid JID: dropped (spec 3.7); '#' names are rooms (spec 3.6)
		}
		bare := u.buddyBare(b)
		j, err := jid.Parse(bare)
		if err != nil || j.Domainpart() != "localhost" || j.Resourcepart() != "" || j.String() != bare {
			t.Fatalf("buddy %q has JID %q (%v)", name, bare, err)
		}
		if got := u.target(bare); got.kind != targetBuddy || got.legacy != name {
			t.Fatalf("JID %q of buddy %q maps to %q (kind %d)", bare, name, got.legacy, got.kind)
		}
	})
}

// FuzzRawXML feeds arbitrary RAW_XML payloads, cut into frames at arbitrary points, to
// the reassembly (spec 3.21): never a panic, the pending bytes stay bounded, what comes
// out reads back, and when the payloads are well-formed stanzas the cuts change nothing.
func FuzzRawXML(f *testing.F) {
	for _, s := range []string{
		`<message to='bob@localhost' from='a@localhost'><body>hi</body></message>`,
		`<presence to='bob@localhost'/><iq type='get' id='1' to='bob@localhost'><query xmlns='jabber:iq:version'/></iq>`,
		`</x><message to='bob@localhost'/>`,
		`<a><![CDATA[</a>]]></a><b x='&amp;'/>`,
		`<!-- c --><m/>`,
		`  <m/>  <n>text &lt; &#x41;</n>`,
		`<a`,
	} {
		f.Add(s, []byte{3, 10, 40})
	}
	f.Fuzz(func(t *testing.T, data string, cuts []byte) {
		whole := &rawAssembler{bufs: map[string][]byte{}}
		want := whole.feed("b", []byte(data))
		split := &rawAssembler{bufs: map[string][]byte{}}
		var got []string
		rest := data
		for _, c := range cuts {
			n := min(int(c), len(rest))
			for _, el := range split.feed("b", []byte(rest[:n])) {
				got = append(got, el.String())
			}
			rest = rest[n:]
			if len(split.bufs["b"]) > maxRawPending {
				t.Fatalf("%d bytes pending", len(split.bufs["b"]))
			}
		}
		for _, el := range split.feed("b", []byte(rest)) {
			got = append(got, el.String())
		}
		for _, s := range got {
			if _, err := parseElement(s); err != nil {
				t.Fatalf("reassembled %q does not read back: %v", s, err)
			}
		}
		if !wellFormedStanzas(data) {
			return
		}
		var ws []string
		for _, el := range want {
			ws = append(ws, el.String())
		}
		if strings.Join(ws, "\n") != strings.Join(got, "\n") {
			t.Fatalf("cut at %v:\n%q\nwhole:\n%q", cuts, got, ws)
		}
	})
}

// wellFormedStanzas reports whether data is a sequence of complete top-level elements
// (with whitespace between) that our reader accepts, and fits the pending bound.
func wellFormedStanzas(data string) bool {
	b := []byte(data)
	if len(b) > maxRawPending {
		return false
	}
	for len(bytes.TrimSpace(b)) > 0 {
		n, err := topLevelEnd(b)
		if err != nil || n == 0 {
			return false
		}
		if _, err := parseElement(strings.TrimSpace(string(b[:n]))); err != nil {
			return false
		}
		b = b[n:]
	}
	return true
}

// A stray end tag in a RAW_XML frame must not stall the frames after it.
func TestRawXMLStrayEndTag(t *testing.T) {
	a := &rawAssembler{bufs: map[string][]byte{}}
	a.feed("b", []byte(`</x>`))
	a.feed("b", []byte(`<presence to='bob@localhost'/>`)) // may be lost with the garbage
	got := a.feed("b", []byte(`<message to='bob@localhost'/>`))
	if len(got) != 1 || got[0].Local != "message" {
		t.Fatalf("after a stray end tag: %v", got)
	}
}
