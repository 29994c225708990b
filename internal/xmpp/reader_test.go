package xmpp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.org' version='1.0' xml:lang='de'>`

func TestStreamHeader(t *testing.T) {
	r := NewReader(strings.NewReader(header), Limits{})
	h, err := r.StreamHeader()
	if err != nil {
		t.Fatal(err)
	}
	want := StreamHeader{To: "example.org", Version: "1.0", Lang: "de"}
	if h != want {
		t.Fatalf("header = %+v, want %+v", h, want)
	}
}

func TestStreamHeaderErrors(t *testing.T) {
	tests := []struct {
		name, in, cond string
	}{
		{"wrong stream namespace", `<stream:stream xmlns='jabber:client' xmlns:stream='urn:bad' version='1.0'>`, CondInvalidNamespace},
		{"wrong content namespace", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>`, CondInvalidNamespace},
		{"not a stream", `<html>`, CondInvalidNamespace},
		{"comment", `<!-- hi --><stream:stream>`, CondRestrictedXML},
		{"doctype", `<!DOCTYPE foo [<!ENTITY x "y">]><stream:stream>`, CondRestrictedXML},
		{"processing instruction", `<?foo bar?><stream:stream>`, CondRestrictedXML},
		{"second xml declaration", `<?xml version='1.0'?><?xml version='1.0'?>`, CondRestrictedXML},
		{"latin-1", `<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream>`, CondUnsupportedEncoding},
		{"http request", "GET / HTTP/1.1\r\n\r\n", CondNotWellFormed},
		{"unbound stream prefix", `<stream:stream xmlns='jabber:client'>`, CondNotWellFormed},
		{"too big", `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' a='` + strings.Repeat("x", 300) + `'>`, CondPolicyViolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in), Limits{MaxStanzaBytes: 200})
			_, err := r.StreamHeader()
			assertCond(t, err, tc.cond)
		})
	}
}

func TestNextElements(t *testing.T) {
	in := header + " \n\t" +
		`<message to='a@b' id='1'><body>hi &amp; &#x263A;<![CDATA[<raw>]]></body><x xmlns='urn:ext' xmlns:p='urn:p' p:attr='v'><y/></x></message>` +
		"\n " + `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>` +
		`<iq type='get' xml:lang='fr'/>` + "   </stream:stream>"
	r := NewReader(strings.NewReader(in), Limits{})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	msg, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !msg.Is(NSClient, "message") || msg.To() != "a@b" || msg.ChildText(NSClient, "body") != "hi & \u263a<raw>" {
		t.Fatalf("message = %s", msg)
	}
	x := msg.Child("urn:ext", "x")
	if x == nil || len(x.Attrs) != 1 || x.Attrs[0] != (Attr{Space: "urn:p", Local: "attr", Value: "v"}) || x.Child("urn:ext", "y") == nil {
		t.Fatalf("extension not kept intact: %s", msg)
	}
	feat, err := r.Next()
	if err != nil || !feat.Is(NSStream, "features") || feat.Child(NSBind, "bind") == nil {
		t.Fatalf("features = %v, %v", feat, err)
	}
	iq, err := r.Next()
	if err != nil || iq.Lang() != "fr" {
		t.Fatalf("iq = %v, %v", iq, err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("end: %v, want ErrStreamClosed", err)
	}
}

func TestNextErrors(t *testing.T) {
	deep := strings.Repeat("<a>", 5) + strings.Repeat("</a>", 5)
	tests := []struct {
		name, in, cond string
	}{
		{"comment", `<!-- c -->`, CondRestrictedXML},
		{"comment inside", `<message><!-- c --></message>`, CondRestrictedXML},
		{"processing instruction", `<?php echo 1?>`, CondRestrictedXML},
		{"processing instruction inside", `<message><?pi x?></message>`, CondRestrictedXML},
		{"doctype", `<!DOCTYPE x>`, CondRestrictedXML},
		{"doctype inside", `<message><!DOCTYPE x></message>`, CondRestrictedXML},
		{"mismatched end", `<message></iq>`, CondNotWellFormed},
		{"stray end", `</message>`, CondNotWellFormed},
		{"text at stream level", `hello`, CondNotWellFormed},
		{"unknown entity", `<message>&foo;</message>`, CondNotWellFormed},
		{"invalid utf-8 text", "<message>\xff\xfe</message>", CondNotWellFormed},
		{"invalid utf-8 attribute", "<message id='\xc3'/>", CondNotWellFormed},
		{"invalid utf-8 name", "<m\xffessage/>", CondNotWellFormed},
		{"control character", "<message>\x01</message>", CondNotWellFormed},
		{"unbound element prefix", `<foo:message/>`, CondNotWellFormed},
		{"unbound attribute prefix", `<message foo:id='1'/>`, CondNotWellFormed},
		{"duplicate attribute", `<message id='1' id='2'/>`, CondNotWellFormed},
		{"duplicate namespaced attribute", `<message xmlns:a='urn:x' xmlns:b='urn:x' a:id='1' b:id='2'/>`, CondNotWellFormed},
		{"duplicate xmlns", `<message xmlns='jabber:client' xmlns='jabber:client'/>`, CondNotWellFormed},
		{"undeclared prefix binding", `<message xmlns:a=''/>`, CondNotWellFormed},
		{"xml prefix rebound", `<message xmlns:xml='urn:x'/>`, CondNotWellFormed},
		{"unquoted attribute", `<message id=1/>`, CondNotWellFormed},
		{"too deep", deep, CondPolicyViolation},
		{"too big text", `<message><body>` + strings.Repeat("x", 1000) + `</body></message>`, CondPolicyViolation},
		{"too big attribute", `<message id='` + strings.Repeat("x", 1000) + `'/>`, CondPolicyViolation},
		{"too big name", `<` + strings.Repeat("m", 1000) + `/>`, CondPolicyViolation},
		{"too many attributes", `<message ` + strings.Repeat("a='1' ", 200) + `/>`, CondPolicyViolation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(header+tc.in), Limits{MaxStanzaBytes: 512, MaxDepth: 4})
			if _, err := r.StreamHeader(); err != nil {
				t.Fatal(err)
			}
			_, err := r.Next()
			assertCond(t, err, tc.cond)
		})
	}
}

func TestManyAttributesDuplicate(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString(" a" + string(rune('A'+i)) + "='1'")
	}
	r := NewReader(strings.NewReader(header+"<message"+b.String()+" aA='2'/>"), Limits{})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	assertCond(t, err, CondNotWellFormed)
}

func TestLimitIsPerElement(t *testing.T) {
	// Many small stanzas in a row must not add up against the byte budget.
	msg := `<message><body>` + strings.Repeat("x", 300) + `</body></message>`
	r := NewReader(strings.NewReader(header+strings.Repeat(msg, 50)), Limits{MaxStanzaBytes: 400})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, err := r.Next(); err != nil {
			t.Fatalf("stanza %d: %v", i, err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last stanza: %v, want io.EOF", err)
	}
}

func TestTruncatedElementIsUnexpectedEOF(t *testing.T) {
	r := NewReader(strings.NewReader(header+`<message><bo`), Limits{})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestRestartAndBuffered(t *testing.T) {
	in := header + "<auth/>\n" + header + "<iq/>"
	r := NewReader(strings.NewReader(in), Limits{})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitInput(); err != nil {
		t.Fatal(err)
	}
	if r.DiscardBufferedSpace() {
		t.Fatal("pipelined header not reported as buffered")
	}
	r2 := NewReader(strings.NewReader(in), Limits{})
	_, _ = r2.StreamHeader()
	_, _ = r2.Next()
	r2.Restart()
	h, err := r2.StreamHeader()
	if err != nil || h.To != "example.org" {
		t.Fatalf("restart: %+v %v", h, err)
	}
	if el, err := r2.Next(); err != nil || el.Local != "iq" {
		t.Fatalf("after restart: %v %v", el, err)
	}
}

func assertCond(t *testing.T, err error, cond string) {
	t.Helper()
	var se *StreamError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want stream error %s", err, cond)
	}
	if se.Condition != cond {
		t.Fatalf("condition = %s (%s), want %s", se.Condition, se.Text, cond)
	}
}

// TestRelease: a Reader released between elements (its buffer and tokenizer dropped) reads
// the rest of the stream as if it had not been: namespaces from the stream header and from
// a prefix the stream declared still resolve, keepalives are skipped, and the end of the
// stream is still recognised. With input buffered it releases nothing.
func TestRelease(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr, Limits{})
	go func() {
		_, _ = io.WriteString(pw, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`)
		_, _ = io.WriteString(pw, `<message to='a@b'><body>one</body></message>`)
		_, _ = io.WriteString(pw, "\n \n")
		_, _ = io.WriteString(pw, `<stream:features/>`)
		_, _ = io.WriteString(pw, `<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`)
		_ = pw.Close()
	}()
	if !r.Release() {
		t.Fatal("a Reader with nothing buffered did not release")
	}
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	want := []struct{ space, local, text string }{
		{NSClient, "message", "one"},
		{NSStream, "features", ""},
		{NSClient, "iq", ""},
	}
	for _, w := range want {
		if r.Buffered() == 0 && !r.Release() {
			t.Fatal("Release refused with nothing buffered")
		}
		if r.src.br != nil || r.dec != nil {
			t.Fatal("Release kept the buffer or the tokenizer")
		}
		el, err := r.Next()
		if err != nil {
			t.Fatalf("after a release: %v", err)
		}
		if el.Space != w.space || el.Local != w.local {
			t.Fatalf("got {%s}%s, want {%s}%s", el.Space, el.Local, w.space, w.local)
		}
		if b := el.Child(NSClient, "body"); w.text != "" && (b == nil || b.Text() != w.text) {
			t.Fatalf("%s: body %v, want %q", w.local, b, w.text)
		}
	}
	if r.Buffered() == 0 {
		r.Release()
	}
	if _, err := r.Next(); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("end of stream after a release: %v, want ErrStreamClosed", err)
	}

	// Buffered input stays: nothing is released.
	r = NewReader(strings.NewReader(header+`<a/><b/>`), Limits{})
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Buffered() == 0 {
		t.Fatal("the test needs <b/> buffered")
	}
	if r.Release() || r.src.br == nil {
		t.Fatal("Release dropped buffered input")
	}
	if el, err := r.Next(); err != nil || el.Local != "b" {
		t.Fatalf("after a refused release: %v %v", el, err)
	}
}
