package testsrv

import (
	"os/exec"
	"syscall"
	"time"
)

// process is a server started by a test as its child and stopped by its PID.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has ended and been waited for
}

// start runs cmd and watches for its end.
func (p *process) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) {
		_ = c.Wait()
		close(done)
	}(cmd, p.exited)
	return nil
}

// running reports whether the process was started and has not ended.
func (p *process) running() bool {
	if p.cmd == nil || p.cmd.Process == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop ends the process with SIGTERM (and SIGCONT, in case a test paused it), then
// SIGKILL if it is still there after grace, and waits for it. Calling it again is harmless.
func (p *process) stop(grace time.Duration) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
