//go:build !linux

package pluginserver

import (
	"errors"
	"net"
)

// socketOwnership is false where /proc does not say which process holds a socket: a
// backend is then identified as before, by the pid in its first STATS while a spawn is
// pending (conn.go), and the QUERY channel is open to loopback addresses. This is weaker
// than on Linux: a local process that learns a starting child's pid can pose as it.
const socketOwnership = false

// peer is the other end of a connection (unknown here).
type peer struct {
	inode uint64
	uid   int
}

func peerOf(net.Conn) (peer, error) { return peer{}, errors.ErrUnsupported }

func holds(int, uint64) bool { return false }

// sameUser falls back to the loopback check.
func sameUser(c net.Conn) bool { return loopback(c) }

// loopback reports whether c comes from a loopback address.
func loopback(c net.Conn) bool {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}
