package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of the CPU times in /proc/PID/stat (100 on Linux).
const clockTick = 100

// Usage is the resources of a process tree at one moment.
type Usage struct {
	RSS     int64         // bytes, summed over the tree
	RootRSS int64         // bytes, of the root process alone (spectrum2's daemon without backends)
	CPU     time.Duration // user + system, summed over the tree
}

// TreeUsage sums RSS and CPU time of pid and all its descendants.
func TreeUsage(pid int) (Usage, error) {
	kids, err := children()
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		rss, cpu, err := procUsage(p)
		if err != nil {
			if p == pid {
				return Usage{}, err
			}
			continue // a child that just exited
		}
		u.RSS += rss
		u.CPU += cpu
		if p == pid {
			u.RootRSS = rss
		}
		queue = append(queue, kids[p]...)
	}
	return u, nil
}

// children maps every pid to its children's pids.
func children() (map[int][]int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, fmt.Errorf("listing /proc: %w", err)
	}
	m := map[int][]int{}
	for _, d := range dirs {
		f, err := statFields(d)
		if err != nil || len(f) < 2 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		ppid, _ := strconv.Atoi(f[1])
		m[ppid] = append(m[ppid], pid)
	}
	return m, nil
}

// statFields are the fields of /proc/PID/stat after the command name: index 0 is the state
// (field 3 in proc(5)), 1 the ppid, 11 utime, 12 stime, 21 rss in pages.
func statFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("%s: no command name", path)
	}
	return toStrings(bytes.Fields(b[i+1:])), nil
}

func toStrings(f [][]byte) []string {
	s := make([]string, len(f))
	for i, b := range f {
		s[i] = string(b)
	}
	return s
}

// procUsage is one process's RSS and CPU time, plus that of its reaped children.
func procUsage(pid int) (int64, time.Duration, error) {
	f, err := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading /proc/%d/stat: %w", pid, err)
	}
	if len(f) < 22 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += v
	}
	pages, _ := strconv.ParseInt(f[21], 10, 64)
	return pages * int64(os.Getpagesize()), time.Duration(ticks) * time.Second / clockTick, nil
}

// SelfCPU is the CPU time this process has used so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// RaiseFileLimit lifts the soft RLIMIT_NOFILE to the hard limit (children inherit it) and
// returns the new soft limit.
func RaiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return l.Cur, nil
}
