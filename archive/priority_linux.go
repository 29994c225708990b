package archive

import (
	"runtime"
	"syscall"
)

// writerNice is the low thread's nice value (lowthread.go): the lowest priority.
const writerNice = 19

// lowerPriority locks the calling goroutine to its thread and sets that thread's nice
// value to writerNice (on Linux, setpriority with a thread id sets that thread alone).
func lowerPriority() error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), writerNice)
}
