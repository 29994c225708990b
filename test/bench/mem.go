package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// ProcMem is one process's resident memory.
type ProcMem struct {
	PID      int
	RSS, PSS int64 // bytes
	Anon     int64 // anonymous resident memory (heap, stacks); RSS - Anon is file pages, mostly the binary's
}

// Memory is a process tree's resident memory: RSS summed (pages shared between the processes,
// such as the one binary's text that the daemon and its backends map, count once per process)
// and PSS summed (each shared page divided among the processes that map it, so the sum is
// what the tree costs the machine).
type Memory struct {
	RSS, PSS int64
	Root     ProcMem
	Children []ProcMem // every process below the root, in breadth-first order
}

// TreeMemory reads /proc/PID/smaps_rollup of pid and all its descendants.
func TreeMemory(pid int) (Memory, error) {
	kids, err := children()
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		pm, err := procMem(p)
		if err != nil {
			if p == pid {
				return Memory{}, err
			}
			continue // a child that just exited
		}
		m.RSS += pm.RSS
		m.PSS += pm.PSS
		if p == pid {
			m.Root = pm
		} else {
			m.Children = append(m.Children, pm)
		}
		queue = append(queue, kids[p]...)
	}
	return m, nil
}

// Find is the process pid of the tree, if it is there.
func (m Memory) Find(pid int) (ProcMem, bool) {
	if m.Root.PID == pid {
		return m.Root, true
	}
	for _, c := range m.Children {
		if c.PID == pid {
			return c, true
		}
	}
	return ProcMem{}, false
}

// procMem reads the Rss and Pss lines of /proc/PID/smaps_rollup (in kB).
func procMem(pid int) (ProcMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return ProcMem{}, fmt.Errorf("reading smaps_rollup: %w", err)
	}
	pm := ProcMem{PID: pid}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		switch string(f[0]) {
		case "Rss:":
			pm.RSS = v * 1024
		case "Pss:":
			pm.PSS = v * 1024
		case "Anonymous:":
			pm.Anon = v * 1024
		}
	}
	return pm, nil
}
