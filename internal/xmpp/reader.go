package xmpp

import (
	"bufio"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
)

// Default limits used when a Limits field is zero.
const (
	DefaultMaxStanzaBytes = 256 << 10
	DefaultMaxDepth       = 32
	readBufferSize        = 512
	// shrinkAfter: after a top-level element larger than this, the xml.Decoder (whose token
	// buffer only grows) is replaced, so that one large stanza does not stay resident in an
	// idle session (PERFORMANCE.md: idle sessions hold no large slices).
	shrinkAfter = 4 << 10
)

// ErrStreamClosed is returned by Next when the peer closed its stream with </stream:stream>.
var ErrStreamClosed = errors.New("xmpp: stream closed by peer")

// errTooBig is what the byte budget returns to the tokenizer; the Reader turns it into a
// policy-violation StreamError.
var errTooBig = errors.New("xmpp: element exceeds the byte budget")

// Limits bound what one peer can make the Reader hold.
type Limits struct {
	// MaxStanzaBytes is the maximum size in bytes of one top-level element (and of the
	// stream header), counted on the wire. Exceeding it is a policy-violation.
	MaxStanzaBytes int64
	// MaxDepth is the maximum nesting depth of a top-level element, the element itself
	// being depth 1. Exceeding it is a policy-violation.
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxStanzaBytes <= 0 {
		l.MaxStanzaBytes = DefaultMaxStanzaBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// StreamHeader holds the attributes of a peer's <stream:stream> open tag.
type StreamHeader struct {
	To, From, Version, ID, Lang string
}

// Reader reads an XMPP stream: the stream header, then one top-level element at a time as a
// namespace-resolved tree. It enforces the byte budget and depth limit, rejects restricted
// XML (RFC 6120 section 11.1) and namespace errors, and skips whitespace keepalives.
// A Reader is used by one goroutine.
type Reader struct {
	limits Limits
	src    budgetReader
	dec    *xml.Decoder
	ns     []nsBinding // bindings in force: the stream header's, then the open elements'
	stream xml.Name    // raw name of the stream element, to match </stream:stream>
}

// nsBinding binds prefix ("" for the default namespace) to a namespace URI.
type nsBinding struct{ prefix, uri string }

// budgetReader is the byte source of the tokenizer: it counts bytes and fails once the
// budget of the element being read is spent, before the tokenizer can buffer more.
type budgetReader struct {
	br    *bufio.Reader // nil while released (Reader.Release); buf makes it again
	under io.Reader     // what br reads
	n     int64         // bytes handed to the tokenizer
	limit int64
	ioErr error // the last error of the underlying reader
}

func (b *budgetReader) ReadByte() (byte, error) {
	if b.n >= b.limit {
		return 0, errTooBig
	}
	c, err := b.buf().ReadByte()
	if err != nil {
		b.ioErr = err
		return 0, err
	}
	b.n++
	return c, nil
}

// Read exists so that budgetReader is an io.Reader; the tokenizer uses ReadByte only.
func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errTooBig
	}
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.buf().Read(p)
	b.n += int64(n)
	if err != nil {
		b.ioErr = err
	}
	return n, err
}

// buf is the buffer over the underlying reader, made again after a release.
func (b *budgetReader) buf() *bufio.Reader {
	if b.br == nil {
		b.br = bufio.NewReaderSize(b.under, readBufferSize)
	}
	return b.br
}

// buffered is the number of bytes in the buffer (none while released).
func (b *budgetReader) buffered() int {
	if b.br == nil {
		return 0
	}
	return b.br.Buffered()
}

// NewReader returns a Reader on r, reading through a small buffer.
func NewReader(r io.Reader, limits Limits) *Reader {
	rd := &Reader{limits: limits.withDefaults()}
	rd.src.under = r
	rd.src.br = bufio.NewReaderSize(r, readBufferSize)
	rd.Restart()
	return rd
}

// Release drops the Reader's buffer and tokenizer when no input is buffered, so that an
// idle stream holds neither (some 1 KB of the 20 KB of an idle session: issue 26); the next
// read makes them again. It reports whether it released them. It must be called between
// two top-level elements (or before the stream header): there the tokenizer holds nothing
// the next element needs, the namespaces in force being the Reader's own, which Next relies
// on already when it replaces the tokenizer after a large element.
func (r *Reader) Release() bool {
	if r.src.buffered() > 0 {
		return false
	}
	r.src.br, r.dec = nil, nil
	return true
}

// decoder is the tokenizer, made again after a release.
func (r *Reader) decoder() *xml.Decoder {
	if r.dec == nil {
		r.dec = newDecoder(&r.src)
	}
	return r.dec
}

// SetLimits replaces the limits from the next element on: c2s reads with a small stanza
// limit until the client has authenticated, and with the configured one afterwards.
func (r *Reader) SetLimits(limits Limits) { r.limits = limits.withDefaults() }

// Reset makes the Reader read a new stream from r (after STARTTLS: r is the TLS connection).
// Bytes buffered from the old reader are dropped.
func (r *Reader) Reset(src io.Reader) {
	r.src.under = src
	r.src.buf().Reset(src)
	r.Restart()
}

// Restart prepares for a new stream header on the same underlying reader (the stream
// restart after SASL success, RFC 6120 section 6.4.6), keeping bytes already buffered.
func (r *Reader) Restart() {
	r.dec = newDecoder(&r.src)
	clear(r.ns)
	r.ns = r.ns[:0]
	r.stream = xml.Name{}
	r.src.n, r.src.limit, r.src.ioErr = 0, math.MaxInt64, nil
}

func newDecoder(src *budgetReader) *xml.Decoder {
	d := xml.NewDecoder(src)
	d.Strict = true
	return d
}

// WaitInput blocks until at least one byte can be read without blocking, or the underlying
// reader fails. c2s uses it to notice input (or a closed connection) while it waits for a
// decision without consuming what arrives.
func (r *Reader) WaitInput() error {
	_, err := r.src.buf().Peek(1)
	return err
}

// Buffered is the number of bytes read from the source and not yet parsed.
func (r *Reader) Buffered() int { return r.src.buffered() }

// DiscardBufferedSpace drops buffered whitespace and reports whether nothing else is
// buffered. After <starttls/>, buffered non-space bytes were sent before the TLS layer and
// must be rejected (STARTTLS command injection).
func (r *Reader) DiscardBufferedSpace() bool {
	for r.src.buffered() > 0 {
		c, _ := r.src.br.ReadByte()
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// StreamHeader reads an optional XML declaration and the <stream:stream> open tag. The
// stream namespace and the jabber:client content namespace are checked (invalid-namespace);
// the values of to and version are the caller's to judge.
func (r *Reader) StreamHeader() (StreamHeader, error) {
	r.src.limit = r.src.n + r.limits.MaxStanzaBytes
	defer func() { r.src.limit = math.MaxInt64 }()
	first := true
	for {
		tok, err := r.decoder().RawToken()
		if err != nil {
			return StreamHeader{}, r.mapErr(err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if !first || t.Target != "xml" {
				return StreamHeader{}, restricted("processing instruction")
			}
		case xml.CharData:
			if !allSpace(t) {
				return StreamHeader{}, &StreamError{CondNotWellFormed, "text before the stream header"}
			}
			continue
		case xml.StartElement:
			return r.header(t)
		case xml.Comment:
			return StreamHeader{}, restricted("comment")
		case xml.Directive:
			return StreamHeader{}, restricted("DOCTYPE or other directive")
		default:
			return StreamHeader{}, &StreamError{CondNotWellFormed, "unexpected end tag"}
		}
		first = false
	}
}

func (r *Reader) header(t xml.StartElement) (StreamHeader, error) {
	space, attrs, err := r.resolve(t)
	if err != nil {
		return StreamHeader{}, err
	}
	if space != NSStream || t.Name.Local != "stream" {
		return StreamHeader{}, &StreamError{CondInvalidNamespace, "expected <stream:stream xmlns:stream='" + NSStream + "'>"}
	}
	if def, _ := r.lookup(""); def != NSClient {
		return StreamHeader{}, &StreamError{CondInvalidNamespace, "the content namespace must be " + NSClient}
	}
	r.stream = t.Name
	var h StreamHeader
	for _, a := range attrs {
		switch {
		case a.Space == NSXML && a.Local == "lang":
			h.Lang = a.Value
		case a.Space != "":
		case a.Local == "to":
			h.To = a.Value
		case a.Local == "from":
			h.From = a.Value
		case a.Local == "version":
			h.Version = a.Value
		case a.Local == "id":
			h.ID = a.Value
		}
	}
	return h, nil
}

// Next returns the next top-level element of the stream. Whitespace between elements is
// skipped. At </stream:stream> it returns ErrStreamClosed; bad input gives a *StreamError;
// other errors come from the underlying reader (io.EOF when it ends between elements).
func (r *Reader) Next() (*Element, error) {
	if err := r.skipSpace(); err != nil {
		return nil, err
	}
	start := r.src.n
	r.src.limit = start + r.limits.MaxStanzaBytes
	el, err := r.element()
	r.src.limit = math.MaxInt64
	if r.src.n-start > shrinkAfter && err == nil {
		r.dec = newDecoder(&r.src)
	}
	return el, err
}

// skipSpace consumes whitespace keepalives between top-level elements without handing them
// to the tokenizer, which would otherwise buffer them until the next '<'.
func (r *Reader) skipSpace() error {
	for {
		br := r.src.buf()
		c, err := br.ReadByte()
		if err != nil {
			return err
		}
		if isSpace(c) {
			continue
		}
		_ = br.UnreadByte()
		if c != '<' {
			return &StreamError{CondNotWellFormed, "character data at stream level"}
		}
		return nil
	}
}

// element reads one top-level element; the byte budget is already set.
func (r *Reader) element() (*Element, error) {
	base := len(r.ns)
	defer func() {
		clear(r.ns[base:])
		r.ns = r.ns[:base]
	}()
	var stack []*Element
	var names []xml.Name
	var marks []int
	for {
		tok, err := r.decoder().RawToken()
		if err != nil {
			return nil, r.mapErr(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= r.limits.MaxDepth {
				return nil, &StreamError{CondPolicyViolation, "element nested too deeply"}
			}
			marks = append(marks, len(r.ns))
			space, attrs, err := r.resolve(t)
			if err != nil {
				return nil, err
			}
			el := &Element{Space: space, Local: t.Name.Local, Attrs: attrs}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Nodes = append(parent.Nodes, Node{Elem: el})
			}
			stack = append(stack, el)
			names = append(names, t.Name)
		case xml.EndElement:
			if len(stack) == 0 {
				if t.Name == r.stream && r.stream.Local != "" {
					return nil, ErrStreamClosed
				}
				return nil, &StreamError{CondNotWellFormed, "unexpected end tag"}
			}
			if t.Name != names[len(names)-1] {
				return nil, &StreamError{CondNotWellFormed, "mismatched end tag"}
			}
			el := stack[len(stack)-1]
			clear(r.ns[marks[len(marks)-1]:])
			r.ns = r.ns[:marks[len(marks)-1]]
			stack, names, marks = stack[:len(stack)-1], names[:len(names)-1], marks[:len(marks)-1]
			if len(stack) == 0 {
				return el, nil
			}
		case xml.CharData:
			if len(stack) == 0 {
				return nil, &StreamError{CondNotWellFormed, "character data at stream level"}
			}
			appendText(stack[len(stack)-1], t)
		case xml.Comment:
			return nil, restricted("comment")
		case xml.ProcInst:
			return nil, restricted("processing instruction")
		case xml.Directive:
			return nil, restricted("DOCTYPE or other directive")
		}
	}
}

// appendText adds character data, merging it with a preceding text node (CDATA sections and
// text arrive as separate tokens).
func appendText(e *Element, data []byte) {
	if len(data) == 0 {
		return
	}
	if n := len(e.Nodes); n > 0 && e.Nodes[n-1].Elem == nil {
		e.Nodes[n-1].Text += string(data)
		return
	}
	e.Nodes = append(e.Nodes, Node{Text: string(data)})
}

// mapErr turns tokenizer errors into stream errors. Errors of the underlying reader pass
// through (io.EOF inside an element as io.ErrUnexpectedEOF), so that a closed connection
// is not mistaken for bad XML.
func (r *Reader) mapErr(err error) error {
	if ioErr := r.src.ioErr; ioErr != nil {
		if ioErr == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return ioErr
	}
	var syn *xml.SyntaxError
	switch {
	case errors.Is(err, errTooBig):
		return &StreamError{CondPolicyViolation, "element larger than the stanza size limit"}
	case errors.As(err, &syn):
		return &StreamError{CondNotWellFormed, syn.Msg}
	case strings.Contains(err.Error(), "encoding"):
		return &StreamError{CondUnsupportedEncoding, "only UTF-8 is supported"}
	}
	// The tokenizer's other errors (an unsupported XML version, ...) are bad input too.
	return &StreamError{CondNotWellFormed, strings.TrimPrefix(err.Error(), "xml: ")}
}

func restricted(what string) *StreamError {
	return &StreamError{CondRestrictedXML, what + " not allowed in XMPP (RFC 6120 section 11.1)"}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
