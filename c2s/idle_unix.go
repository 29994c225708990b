//go:build unix

package c2s

import "syscall"

// waitReadable returns when the socket has input (or has reached its end, or failed), when
// its read deadline passes or when it is closed; it reads nothing. It peeks rather than
// trusting a readiness notification, which may be left over from input already read.
func waitReadable(rc syscall.RawConn) error { return rc.Read(peekable) }

// peekable reports whether a read of fd would not block. It is a plain function, not a
// closure, so that an idle wait allocates nothing.
func peekable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN && err != syscall.EINTR
}
