//go:build unix

package c2s

import (
	"errors"
	"syscall"
)

// waitReadable returns when the socket has input (or has reached its end, or failed), when
// its read deadline passes or when it is closed; it reads nothing. It peeks rather than
// trusting a readiness notification, which may be left over from input already read.
func waitReadable(rc syscall.RawConn) error {
	var b [1]byte
	return rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR)
	})
}
