package bench

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestScannerCutsTopLevelElements(t *testing.T) {
	stream := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='a>b'>` +
		`<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>` +
		`<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>` +
		`<!-- a comment with <tags> -->` +
		`<message from="echo@localhost/bot" title='1 > 0'><body>q:1:2</body><x><![CDATA[</message>]]></x></message>` +
		`</stream:stream>`
	want := []struct {
		kind Kind
		name string
	}{
		{StreamStart, "stream:stream"},
		{Element, "stream:features"},
		{Element, "proceed"},
		{Element, "message"},
		{StreamEnd, "stream:stream"},
	}
	readers := map[string]io.Reader{
		"whole":         strings.NewReader(stream),
		"one byte each": iotest.OneByteReader(strings.NewReader(stream)),
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			sc := NewScanner(r, 1<<20)
			for i, w := range want {
				k, el, err := sc.Next()
				if err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
				if k != w.kind || string(Name(el)) != w.name {
					t.Fatalf("item %d: got kind %d %q, want kind %d <%s>", i, k, el, w.kind, w.name)
				}
			}
			if _, _, err := sc.Next(); err == nil {
				t.Fatal("no error at the end of the input")
			}
		})
	}
}

func TestScannerRestartAndLimit(t *testing.T) {
	sc := NewScanner(strings.NewReader(`<stream:stream><success/><stream:stream><iq id='b'/>`), 1<<20)
	for _, want := range []Kind{StreamStart, Element} {
		if k, _, err := sc.Next(); err != nil || k != want {
			t.Fatalf("got %d %v, want %d", k, err, want)
		}
	}
	sc.Reset()
	if k, _, _ := sc.Next(); k != StreamStart {
		t.Fatalf("after Reset: kind %d, want the new stream header", k)
	}
	if _, el, _ := sc.Next(); string(Attr(el, "id")) != "b" {
		t.Fatalf("after the restart: %q", el)
	}

	big := NewScanner(strings.NewReader(`<s><m>`+strings.Repeat("x", 5000)+`</m></s>`), 4096)
	_, _, _ = big.Next()
	if _, _, err := big.Next(); err != ErrTooLarge {
		t.Fatalf("oversized element: %v, want ErrTooLarge", err)
	}
}

func TestAttrTextBare(t *testing.T) {
	el := []byte(`<message xmlns='jabber:client' from="u@h/r" to='x@h' xto='no' id=''><body a='1'>hi</body><bodyx>no</bodyx></message>`)
	tests := []struct{ name, got, want string }{
		{"double quotes", string(Attr(el, "from")), "u@h/r"},
		{"single quotes", string(Attr(el, "to")), "x@h"},
		{"empty", string(Attr(el, "id")), ""},
		{"missing", string(Attr(el, "type")), ""},
		{"child attribute is not ours", string(Attr(el, "a")), ""},
		{"text", string(Text(el, "body")), "hi"},
		{"longer name is not a match", string(Text([]byte(`<m><bodyx>no</bodyx><body>yes</body></m>`), "body")), "yes"},
		{"bare", string(Bare([]byte("u@h/r/s"))), "u@h"},
		{"name", string(Name(el)), "message"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestCountItems(t *testing.T) {
	seen := map[string]struct{}{}
	countItems([]byte(`<iq><query><item jid='a@h' name='A'/><item jid="b@h"><group>g</group></item><item jid='a@h'/></query></iq>`), seen)
	if len(seen) != 2 {
		t.Fatalf("got %v, want a@h and b@h", seen)
	}
}
