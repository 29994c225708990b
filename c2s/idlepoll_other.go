//go:build !linux

package c2s

import "time"

// idlePoller parks quiet sessions without a goroutine on Linux (idlepoll_linux.go);
// elsewhere a quiet session keeps its waiting goroutine (idleWait).
type idlePoller struct{}

func newIdlePoller() (*idlePoller, error)                                 { return nil, nil }
func (p *idlePoller) stop()                                               {}
func (p *idlePoller) park(c *conn, st readState, deadline time.Time) bool { return false }
func (p *idlePoller) wakeConn(c *conn)                                    {}
func (p *idlePoller) parkedCount() int                                    { return 0 }
