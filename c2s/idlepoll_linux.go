package c2s

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// idlePoller watches the sockets of quiet sessions with an epoll instance of its own and a
// timer each, so that a quiet session holds no goroutine: a goroutine waiting on its socket
// is 2 KB of stack and 0.4 KB of descriptor, an eighth of what an idle session costs
// (issue 26), against some 250 bytes here. A parked session goes on in a fresh goroutine,
// exactly where a handed-off reader starts (idleWait, which waits on the socket itself),
// as soon as anything could need its reader: its socket is readable (input, end, error),
// its read deadline passes, or endReads shortened that deadline (our end of the stream was
// written) or a failed write closed the socket. A wake that comes early costs only that
// goroutine's wait. Entries are one per bound session, so they are bounded by the
// connections: limits.max_connections, whose refused connections never bind
// (TestIdlePollerAtMaxConnections); with max_connections 0 by the open files, each entry
// holding a socket.
type idlePoller struct {
	epfd   int
	wakeR  int // read end of a pipe in the epoll set: a byte there stops run
	wakeW  int
	done   chan struct{}
	mu     sync.Mutex
	seq    uint64
	parked map[uint64]*parkedConn
}

// parkedConn is a parked session's reader state, to go on with.
type parkedConn struct {
	c     *conn
	st    readState
	timer *time.Timer // set under mu once the socket is in the epoll set
}

// stopID is the epoll data of the pipe that stops run; parked ids start at 1.
const stopID = 0

// newIdlePoller makes the epoll instance and starts its goroutine; stop ends both.
func newIdlePoller() (*idlePoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("c2s: epoll_create1: %w", err)
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("c2s: pipe2: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: stopID}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fds[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, fmt.Errorf("c2s: epoll_ctl: %w", err)
	}
	p := &idlePoller{epfd: epfd, wakeR: fds[0], wakeW: fds[1], done: make(chan struct{}),
		parked: make(map[uint64]*parkedConn)}
	go p.run()
	return p, nil
}

// run hands every ready socket's session to a fresh goroutine until stop.
func (p *idlePoller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 64)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			// Cannot happen with a valid epfd; the sessions still parked wake by their timers.
			return
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == stopID {
				return
			}
			p.wake(id)
		}
	}
}

// stop ends run and closes the poller; nothing may be parked after it.
func (p *idlePoller) stop() {
	if p == nil {
		return
	}
	_, _ = syscall.Write(p.wakeW, []byte{0})
	<-p.done
	syscall.Close(p.epfd)
	syscall.Close(p.wakeR)
	syscall.Close(p.wakeW)
}

// park takes over c's reader, which has handed off with state st and its read deadline set
// to deadline. It reports false when it could not (the caller runs idleWait itself).
func (p *idlePoller) park(c *conn, st readState, deadline time.Time) bool {
	if p == nil || c.raw == nil {
		return false
	}
	e := &parkedConn{c: c, st: st}
	p.mu.Lock()
	p.seq++
	id := p.seq
	p.parked[id] = e
	p.mu.Unlock()
	var addErr error
	err := c.raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
			Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
		addErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err != nil || addErr != nil {
		p.mu.Lock()
		_, mine := p.parked[id]
		delete(p.parked, id)
		p.mu.Unlock()
		return !mine // woken meanwhile: its goroutine runs already
	}
	c.parked.Store(id)
	p.mu.Lock()
	if e, ok := p.parked[id]; ok {
		e.timer = time.AfterFunc(time.Until(deadline), func() { p.wake(id) })
	}
	p.mu.Unlock()
	if c.readsEnding() {
		p.wake(id) // endReads ran before parked was set, so it could not wake us
	}
	return true
}

// wake resumes the session parked under id in a fresh goroutine; a second wake, or one
// for a session no longer parked, does nothing.
func (p *idlePoller) wake(id uint64) {
	p.mu.Lock()
	e := p.parked[id]
	delete(p.parked, id)
	var t *time.Timer
	if e != nil {
		t = e.timer
	}
	p.mu.Unlock()
	if e == nil {
		return
	}
	if t != nil {
		t.Stop()
	}
	e.c.parked.CompareAndSwap(id, 0)
	_ = e.c.raw.Control(func(fd uintptr) {
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
	go e.c.idleWait(e.st)
}

// wakeConn resumes c if it is parked.
func (p *idlePoller) wakeConn(c *conn) {
	if p == nil {
		return
	}
	if id := c.parked.Load(); id != 0 {
		p.wake(id)
	}
}

// parkedCount is the number of parked sessions, for tests.
func (p *idlePoller) parkedCount() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked)
}
