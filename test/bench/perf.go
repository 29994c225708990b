package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Profile is a running `perf record` of a server: where its CPU time goes during a
// measurement, for the report when a target is missed.
type Profile struct {
	cmd  *exec.Cmd
	file string
}

// StartProfile samples the call stacks of pid and its threads at 499 Hz into file, a rate
// low enough not to weigh on the server.
func StartProfile(pid int, file string) (*Profile, error) {
	cmd := exec.Command("perf", "record", "-q", "-F", "499", "-g", "-p", fmt.Sprint(pid), "-o", file)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting perf: %w", err)
	}
	time.Sleep(200 * time.Millisecond) // let perf attach before the load starts
	return &Profile{cmd: cmd, file: file}, nil
}

// Stop ends the recording (SIGINT to perf's PID) and returns the top of the flat profile:
// the share of samples per function, at most lines lines.
func (p *Profile) Stop(lines int) (string, error) {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	out, err := exec.Command("perf", "report", "-i", p.file, "--stdio", "--no-children",
		"--sort", "dso,symbol", "-g", "none").Output()
	if err != nil {
		return "", fmt.Errorf("perf report: %w", err)
	}
	funcs := parseReport(out)
	if len(funcs) == 0 {
		return "", fmt.Errorf("perf report of %s has no samples: %.300s", p.file, out)
	}
	var b strings.Builder
	b.WriteString("by package:\n")
	for _, e := range top(byPackage(funcs), lines/2) {
		fmt.Fprintf(&b, "%6.2f%%  %s\n", e.pct, e.name)
	}
	b.WriteString("by function:\n")
	for _, e := range top(funcs, lines) {
		fmt.Fprintf(&b, "%6.2f%%  %s\n", e.pct, e.name)
	}
	return b.String(), nil
}

// entry is a share of the samples.
type entry struct {
	name string
	pct  float64
}

// parseReport reads the lines "12.34%  dso  [.] symbol" of perf report --stdio.
func parseReport(out []byte) []entry {
	var es []entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasSuffix(f[0], "%") || strings.HasPrefix(f[0], "#") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		name := f[3]
		if f[1] == "[kernel.kallsyms]" {
			name = "[kernel] " + name
		}
		es = append(es, entry{name: name, pct: pct})
	}
	return es
}

// byPackage sums the shares of functions per Go package (the kernel counts as one).
func byPackage(funcs []entry) []entry {
	sum := map[string]float64{}
	for _, e := range funcs {
		sum[goPackage(e.name)] += e.pct
	}
	var es []entry
	for n, p := range sum {
		es = append(es, entry{name: n, pct: p})
	}
	return es
}

// goPackage is the package path of a Go symbol such as "crypto/tls.(*Conn).Read" or
// "github.com/x/y.F.func1".
func goPackage(sym string) string {
	if strings.HasPrefix(sym, "[kernel]") {
		return "[kernel]"
	}
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return sym
	}
	return sym[:slash+1+dot]
}

// top sorts es by share and keeps the first n.
func top(es []entry, n int) []entry {
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(b.pct, a.pct) })
	return es[:min(n, len(es))]
}
