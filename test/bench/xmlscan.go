package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Kind is what Scanner.Next found.
type Kind int

// The kinds of top-level things on an XMPP stream.
const (
	// StreamStart is the opening <stream:stream> tag.
	StreamStart Kind = iota + 1
	// Element is one complete top-level element (a stanza or a negotiation element).
	Element
	// StreamEnd is the closing </stream:stream> tag.
	StreamEnd
)

// ErrTooLarge is returned when one element exceeds the scanner's limit.
var ErrTooLarge = errors.New("bench: element exceeds the scanner's limit")

// tag kinds recognised by tagLen.
const (
	tagSkip  = iota // <?...?>, <!--...-->, <![CDATA[...]]>, <!DOCTYPE>
	tagOpen         // <a ...>
	tagEmpty        // <a .../>
	tagClose        // </a>
)

// Scanner cuts an XMPP stream into top-level elements without parsing them: it only tracks
// tag depth (respecting quoted attribute values, comments and CDATA), which is all the
// generator needs and costs a fraction of a real XML decoder.
type Scanner struct {
	r     io.Reader
	buf   []byte
	pos   int // next byte to scan
	start int // start of the open top-level element (depth >= 2)
	depth int // 0 before the stream header, 1 inside the stream
	max   int
}

// NewScanner reads from r; an element larger than max bytes is an error.
func NewScanner(r io.Reader, max int) *Scanner {
	return &Scanner{r: r, buf: make([]byte, 0, 1024), max: max}
}

// Reset forgets the stream depth, for the stream restart after STARTTLS or SASL. Bytes
// already buffered are kept.
func (s *Scanner) Reset() { s.depth = 0 }

// Next returns the next stream header, top-level element or stream end. The bytes are valid
// only until the following call.
func (s *Scanner) Next() (Kind, []byte, error) {
	for {
		if k, b, ok := s.step(); ok {
			return k, b, nil
		}
		if err := s.fill(); err != nil {
			return 0, nil, err
		}
	}
}

// step scans the buffered bytes; ok is false when more input is needed.
func (s *Scanner) step() (k Kind, b []byte, ok bool) {
	for {
		i := bytes.IndexByte(s.buf[s.pos:], '<')
		if i < 0 {
			s.pos = len(s.buf)
			return 0, nil, false
		}
		s.pos += i
		n, kind := tagLen(s.buf[s.pos:])
		if n == 0 {
			return 0, nil, false
		}
		at := s.pos
		s.pos += n
		switch kind {
		case tagOpen:
			s.depth++
			switch s.depth {
			case 1:
				return StreamStart, s.buf[at:s.pos], true
			case 2:
				s.start = at
			}
		case tagEmpty:
			if s.depth == 1 {
				return Element, s.buf[at:s.pos], true
			}
		case tagClose:
			s.depth--
			switch s.depth {
			case 0:
				return StreamEnd, s.buf[at:s.pos], true
			case 1:
				return Element, s.buf[s.start:s.pos], true
			}
		}
	}
}

// fill compacts the buffer (keeping the open element) and reads more input.
func (s *Scanner) fill() error {
	keep := s.pos
	if s.depth >= 2 {
		keep = s.start
	}
	if keep == len(s.buf) && cap(s.buf) > 64<<10 {
		s.buf = make([]byte, 0, 1024) // give a large buffer back once it is empty
	} else {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
	}
	s.pos -= keep
	s.start -= keep
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= s.max {
			return ErrTooLarge
		}
		nb := make([]byte, len(s.buf), min(2*cap(s.buf), s.max))
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return fmt.Errorf("bench: reading stream: %w", err)
}

// tagLen is the length of the markup starting at b[0] == '<' and its kind; 0 when b does not
// hold all of it yet.
func tagLen(b []byte) (int, int) {
	switch {
	case bytes.HasPrefix(b, []byte("<!--")):
		return through(b, "-->"), tagSkip
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		return through(b, "]]>"), tagSkip
	case len(b) < 2:
		return 0, tagSkip
	}
	var quote byte
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			switch {
			case b[1] == '?' || b[1] == '!':
				return i + 1, tagSkip
			case b[1] == '/':
				return i + 1, tagClose
			case b[i-1] == '/':
				return i + 1, tagEmpty
			}
			return i + 1, tagOpen
		}
	}
	return 0, tagSkip
}

// through is the length up to and including the first end in b, or 0.
func through(b []byte, end string) int {
	if i := bytes.Index(b, []byte(end)); i >= 0 {
		return i + len(end)
	}
	return 0
}

// Name is the qualified name of the element (or end tag) el starts with ("iq",
// "stream:features").
func Name(el []byte) []byte {
	if len(el) < 2 || el[0] != '<' {
		return nil
	}
	name := bytes.TrimPrefix(el[1:], []byte("/"))
	if end := bytes.IndexAny(name, " \t\r\n/>"); end >= 0 {
		return name[:end]
	}
	return name
}

// Attr is the raw (not unescaped) value of attribute name in the first tag of el, or nil.
func Attr(el []byte, name string) []byte {
	n, _ := tagLen(el)
	if n == 0 {
		n = len(el)
	}
	tag := el[:n]
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte(name))
		if j < 0 {
			return nil
		}
		i += j
		k := i + len(name)
		if isSpace(tag[i-1]) && k+1 < len(tag) && tag[k] == '=' && (tag[k+1] == '\'' || tag[k+1] == '"') {
			q := tag[k+1]
			if e := bytes.IndexByte(tag[k+2:], q); e >= 0 {
				return tag[k+2 : k+2+e]
			}
			return nil
		}
		i = k
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Text is the raw character data of the first child element named name, or nil.
func Text(el []byte, name string) []byte {
	open := bytes.Index(el, []byte("<"+name))
	for open >= 0 {
		rest := el[open+1+len(name):]
		if len(rest) > 0 && (rest[0] == '>' || isSpace(rest[0])) {
			break
		}
		next := bytes.Index(rest, []byte("<"+name))
		if next < 0 {
			return nil
		}
		open += 1 + len(name) + next
	}
	if open < 0 {
		return nil
	}
	n, kind := tagLen(el[open:])
	if n == 0 || kind != tagOpen {
		return nil
	}
	body := el[open+n:]
	if e := bytes.Index(body, []byte("</"+name+">")); e >= 0 {
		return body[:e]
	}
	return nil
}

// Bare is jid without its resource.
func Bare(jid []byte) []byte {
	if i := bytes.IndexByte(jid, '/'); i >= 0 {
		return jid[:i]
	}
	return jid
}
