//go:build !unix

package c2s

import "syscall"

// waitReadable returns at once where the socket cannot be peeked: the XML reader's own
// read then waits, on a larger stack.
func waitReadable(syscall.RawConn) error { return nil }
