package xmpp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReader feeds arbitrary bytes after a valid stream header: the reader must never
// panic, never return an element deeper than MaxDepth, and every element it returns must
// serialize and read back to the same tree.
func FuzzReader(f *testing.F) {
	seeds := []string{
		`<message to='a@b'><body>hi</body></message>`,
		`<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>  <presence/>`,
		`<a xmlns:p='urn:p' p:x='1' x='2'><p:b><![CDATA[x]]></p:b></a></stream:stream>`,
		`<!-- c --><?pi?><!DOCTYPE x>`,
		"<m id='\xff'/>",
		`<a><b><c><d><e><f/></e></d></c></b></a>`,
		// More than ten prefixed attributes: each gets a prefix of its own, which must
		// stay unique however many there are.
		`<a xmlns:p='urn:p' xmlns:q='urn:q' p:a='1' p:b='2' p:c='3' p:d='4' p:e='5' p:f='6' ` +
			`p:g='7' p:h='8' p:i='9' p:j='10' q:k='11' q:l='12' xml:lang='en'/>`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	const maxDepth = 5
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(header+in), Limits{MaxStanzaBytes: 1024, MaxDepth: maxDepth})
		if _, err := r.StreamHeader(); err != nil {
			t.Fatal(err)
		}
		for {
			el, err := r.Next()
			if err != nil {
				var se *StreamError
				if !errors.As(err, &se) && err != io.EOF && err != io.ErrUnexpectedEOF && err != ErrStreamClosed {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			if d := depth(el); d > maxDepth {
				t.Fatalf("depth %d > %d", d, maxDepth)
			}
			out := string(el.AppendXML(nil, NSClient))
			back := NewReader(strings.NewReader(header+out), Limits{})
			if _, err := back.StreamHeader(); err != nil {
				t.Fatal(err)
			}
			again, err := back.Next()
			if err != nil {
				t.Fatalf("reading back %q: %v", out, err)
			}
			if got := string(again.AppendXML(nil, NSClient)); got != out {
				t.Fatalf("round trip differs:\n%s\n%s", out, got)
			}
		}
	})
}

func depth(e *Element) int {
	d := 0
	for _, c := range e.Children() {
		d = max(d, depth(c))
	}
	return d + 1
}
