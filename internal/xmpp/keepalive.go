package xmpp

// SkipBufferedSpace drops whitespace keepalives already buffered, without blocking, and
// reports whether other bytes are buffered after them. Unlike DiscardBufferedSpace it does
// not consume the first non-space byte, so reading can go on with Next: c2s calls it after
// WaitInput to tell a keepalive from the start of a stanza.
func (r *Reader) SkipBufferedSpace() bool {
	for r.src.buffered() > 0 {
		b, err := r.src.br.Peek(1)
		if err != nil || !isSpace(b[0]) {
			return true
		}
		_, _ = r.src.br.Discard(1)
	}
	return false
}
