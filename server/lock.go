package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockName is the lock file a daemon holds in its data_dir and working_dir.
const lockName = "spectrum2.lock"

// dirLock is the flock(2) a running daemon holds on the lock file of each of its
// directories, so that a second daemon configured with the same ones refuses to start
// rather than overwrite the backend INI file, replace the admin socket or generate another
// certificate. The kernel drops it when the process ends, however it ends.
type dirLock struct {
	files []*os.File
}

// lockDirs creates each directory (key is its option name, for the message) and locks
// its lock file; the first one held by another process is an error naming that process.
func lockDirs(dirs ...[2]string) (*dirLock, error) {
	l := &dirLock{}
	seen := map[string]bool{}
	for _, d := range dirs {
		key, dir := d[0], d[1]
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		if seen[abs] {
			continue // a second flock on the same file from this process would fail
		}
		seen[abs] = true
		if err := l.lock(key, abs); err != nil {
			l.release()
			return nil, err
		}
	}
	return l, nil
}

func (l *dirLock) lock(key, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", key, err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) // close-on-exec: backends do not inherit it
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%s %s is in use by another spectrum2 daemon (%slock file %s): "+
				"give each daemon its own data_dir and working_dir", key, dir, holder(path), path)
		}
		return fmt.Errorf("%s: locking %s: %w", key, path, err)
	}
	// The holder's pid, for the message above; the lock is the flock, not this content.
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	l.files = append(l.files, f)
	return nil
}

// holder names the process that wrote its pid into the lock file ("pid N, "), if it did.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
		return "pid " + strconv.Itoa(pid) + ", "
	}
	return ""
}

// release unlocks by closing; the files stay, as a stale one is harmless.
func (l *dirLock) release() {
	for _, f := range l.files {
		f.Close()
	}
	l.files = nil
}
