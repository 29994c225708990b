package archive

import "runtime"

// lowThread runs the writer's store calls on a thread of its own at the lowest OS
// priority (issue 26). A batch is milliseconds of SQLite in modernc's pure Go, which
// yields the processor only every few inserts (store/archive.go); on a thread of
// normal priority the goroutines that route messages waited behind it for the core,
// and their p99 at 5,000 msg/s was 23 to 31 ms with the daemon on one core. At the
// lowest priority the kernel runs the routing threads first whenever both are ready:
// 4 to 7 ms (docs/benchmarks.md, "The archive writer at the lowest priority").
//
// That needs a P for the routing goroutines while the writer holds one. With one P
// (GOMAXPROCS 1: a daemon on one core) spare raises GOMAXPROCS to 2 for each call and
// sets it back after: a second P for good cost 5 to 10 % of a login's CPU (idle Ps'
// threads spin before they sleep), and the change's stop-the-world (some 10 a second)
// is cheap next to it. The calls to runtime.GOMAXPROCS are made here, on the writer's
// goroutine of normal priority, never on the low thread: a stop-the-world that waits
// for a thread the kernel puts last would stall every goroutine. (A call also ends Go's
// own updates of GOMAXPROCS from the CPU limit: a daemon started on one CPU keeps 1.)
type lowThread struct {
	work  chan func()
	done  chan struct{}
	spare bool
}

// startLow starts the low thread; it ends when stop is called.
func (a *Archive) startLow() *lowThread {
	l := &lowThread{work: make(chan func()), done: make(chan struct{}), spare: a.cfg.SpareProc}
	go func() {
		// The thread is never given back (an unprivileged process may not raise its
		// priority again): the goroutine exits locked, and Go ends the thread with it.
		if err := lowerPriority(); err != nil {
			a.log.Warn().Err(err).Msg("the archive writer's thread keeps its priority")
		}
		for f := range l.work {
			f()
			l.done <- struct{}{}
		}
	}()
	return l
}

// do runs f on the low thread and waits for it. Only the writer's goroutine calls it.
func (l *lowThread) do(f func()) {
	if l.spare {
		runtime.GOMAXPROCS(2)
		defer runtime.GOMAXPROCS(1)
	}
	l.work <- f
	<-l.done
}

// stop ends the low thread.
func (l *lowThread) stop() { close(l.work) }
