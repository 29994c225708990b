package c2s

import (
	"crypto/tls"
	"encoding/binary"
	"net"
	"sync"
	"syscall"
)

// Idle sessions are most sessions, so what an idle one keeps decides the memory per
// session (issue 11 budgets it at half of Prosody's). A reader parked in a socket read
// under the XML reader and crypto/tls needs a goroutine stack of 4 to 8 KB; one that only
// waits for the socket to become readable fits the smallest stack the runtime has (2 KB),
// and readLoop hands a quiet session to such a goroutine (idleWait). Waiting on the socket
// is only correct when no layer above it holds input already read: the XML reader's
// buffer, crypto/tls's decrypted and raw input, and our own buffer. recordConn and
// tlsInput make the last two observable; xmpp.Reader.Buffered the first.

// recordHeaderLen is the length of a TLS record header (RFC 8446 section 5.1).
const recordHeaderLen = 5

// recordBufSize is how much recordConn reads from the socket at once.
const recordBufSize = 4 << 10

// recordConn sits between the TCP socket and crypto/tls. It reads the socket in chunks into
// a buffer from a pool and hands crypto/tls no more than the rest of the current TLS record
// per Read, so that crypto/tls never holds a record it has not processed: after it returns,
// the input not yet decrypted is in recordConn (Buffered) or still in the socket. The
// buffer goes back to the pool as soon as it is drained, so an idle connection holds none.
//
// A Read hands the header and as much of the body as is buffered together: crypto/tls
// reads a record's header into a buffer of 5 + 512 bytes (576 with Go's rounding), and
// when the body comes in a second Read it grows that buffer to 1,152 bytes for a 300-byte
// ClientHello, and keeps it for the life of the connection (issue 26: 576 bytes of every
// idle session).
type recordConn struct {
	net.Conn
	pool *sync.Pool // of *[]byte with recordBufSize bytes
	buf  *[]byte    // unread input is (*buf)[r:w]; nil when there is none
	r, w int
	hdr  [recordHeaderLen]byte // the current record's header, nhdr bytes of it handed out
	nhdr int
	body int // bytes of the current record's body not yet handed out
}

func newRecordConn(tcp net.Conn, pool *sync.Pool) *recordConn {
	return &recordConn{Conn: tcp, pool: pool}
}

// Buffered is the number of bytes read from the socket and not yet handed to crypto/tls.
func (c *recordConn) Buffered() int { return c.w - c.r }

func (c *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.buf == nil {
		bp := c.pool.Get().(*[]byte)
		n, err := c.Conn.Read(*bp)
		if n <= 0 {
			c.pool.Put(bp)
			return 0, err
		}
		// A read that returned bytes and an error: the error comes again on the next read.
		c.buf, c.r, c.w = bp, 0, n
	}
	n := 0
	for n < len(p) && c.r < c.w {
		in := (*c.buf)[c.r:c.w]
		var k int
		if c.nhdr < recordHeaderLen {
			k = copy(p[n:], in[:min(len(in), recordHeaderLen-c.nhdr)])
			copy(c.hdr[c.nhdr:], in[:k])
			c.nhdr += k
			if c.nhdr == recordHeaderLen {
				c.body = int(binary.BigEndian.Uint16(c.hdr[3:]))
			}
		} else {
			k = copy(p[n:], in[:min(len(in), c.body)])
			c.body -= k
		}
		n += k
		c.r += k
		if c.nhdr == recordHeaderLen && c.body == 0 {
			c.nhdr = 0 // the record is complete: the next byte starts a header, in the next Read
			break
		}
	}
	if c.r == c.w {
		c.pool.Put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
	return n, nil
}

// tlsInput is what the XML reader reads from on a TLS connection. crypto/tls keeps the rest
// of a decrypted record that did not fit the reader's buffer; a Read that filled the whole
// buffer may have left some, so maybeMore is set until a Read returns less.
type tlsInput struct {
	*tls.Conn
	maybeMore bool
}

func (t *tlsInput) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.maybeMore = n == len(p) && n > 0
	return n, err
}

// newRecordBufPool is the pool of recordConn buffers of one Server.
func newRecordBufPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, recordBufSize)
		return &b
	}}
}

// inputBuffered reports whether any layer above the socket holds client input not yet
// read by the XML reader's caller.
func (c *conn) inputBuffered() bool {
	if c.rd.Buffered() > 0 {
		return true
	}
	if c.tin != nil && c.tin.maybeMore {
		return true
	}
	return c.rec != nil && c.rec.Buffered() > 0
}

// rawConnOf is the socket's raw connection for waitReadable, or nil when nc has none.
func rawConnOf(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
