package xmpp

import (
	"bufio"
	"io"
	"testing"
)

func TestSkipBufferedSpace(t *testing.T) {
	pr, pw := io.Pipe()
	defer func() { _ = pr.Close() }()
	r := NewReader(bufio.NewReader(pr), Limits{})
	go func() {
		_, _ = io.WriteString(pw, header+" \n\t")
		_, _ = io.WriteString(pw, "  <presence/>")
	}()
	if _, err := r.StreamHeader(); err != nil {
		t.Fatal(err)
	}
	// Whitespace keepalives until a stanza starts; the '<' stays for Next.
	for {
		if err := r.WaitInput(); err != nil {
			t.Fatal(err)
		}
		if r.SkipBufferedSpace() {
			break
		}
	}
	el, err := r.Next()
	if err != nil || !el.Is(NSClient, "presence") {
		t.Fatalf("Next = %v, %v", el, err)
	}
	_ = pw.Close()
}
