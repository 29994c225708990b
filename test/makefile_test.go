package test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeFmtCheckWithoutGit: in a tree without .git (a release tarball) make fmt-check
// finds the Go files itself, does not wait on stdin, and reports a misformatted file, not
// generated code.
func TestMakeFmtCheckWithoutGit(t *testing.T) {
	dir := makeTree(t, "Makefile", "etc/spectrum2.service")
	writeTreeFile(t, dir, "a/ok.go", "package a\n")
	writeTreeFile(t, dir, "a/bad.go", "package a\nfunc  f( ) {}\n")
	writeTreeFile(t, dir, "a/x.pb.go", "package a\nvar  x = 1\n")
	out, err := runMake(t, dir, "fmt-check")
	if err == nil {
		t.Fatalf("make fmt-check passed a misformatted file:\n%s", out)
	}
	if !strings.Contains(out, "a/bad.go") || strings.Contains(out, "ok.go") || strings.Contains(out, "x.pb.go") {
		t.Errorf("make fmt-check should name a/bad.go only:\n%s", out)
	}
}

// TestMakeInstallKeepsConfig: make install writes the configuration readable by root and
// the service group only, and never overwrites one that is there: the new one goes beside
// it as spectrum2.toml.dist.
func TestMakeInstallKeepsConfig(t *testing.T) {
	dir := makeTree(t, "Makefile", "etc/spectrum2.service", "etc/spectrum2.toml")
	writeTreeFile(t, dir, "bin/spectrum2", "#!/bin/sh\n")
	dest := t.TempDir()
	conf := filepath.Join(dest, "etc/spectrum2/spectrum2.toml")

	// -o build: the tree has no sources; bin/spectrum2 stands for the binary.
	out, err := runMake(t, dir, "-o", "build", "install", "DESTDIR="+dest, "SERVICE_GROUP=spectrum2-no-such-group")
	if err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	if !strings.Contains(out, "group spectrum2-no-such-group does not exist") {
		t.Errorf("no word about the missing group:\n%s", out)
	}
	checkMode(t, filepath.Join(dest, "usr/local/bin/spectrum2"), 0o755)
	checkMode(t, conf, 0o640)
	reference, err := os.ReadFile(filepath.Join(dir, "etc/spectrum2.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(conf); string(got) != string(reference) {
		t.Errorf("%s is not etc/spectrum2.toml", conf)
	}

	const mine = "# the operator's own\n"
	if err := os.WriteFile(conf, []byte(mine), 0o640); err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	out, err = runMake(t, dir, "-o", "build", "install", "DESTDIR="+dest, "SERVICE_GROUP="+g.Name)
	if err != nil {
		t.Fatalf("second make install: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(conf); string(got) != mine {
		t.Errorf("make install overwrote the existing configuration:\n%s", out)
	}
	if !strings.Contains(out, "kept") {
		t.Errorf("no word that the configuration was kept:\n%s", out)
	}
	dist := conf + ".dist"
	checkMode(t, dist, 0o640)
	if got, _ := os.ReadFile(dist); string(got) != string(reference) {
		t.Errorf("%s is not etc/spectrum2.toml", dist)
	}
	if fi, err := os.Stat(dist); err == nil && int(fi.Sys().(*syscall.Stat_t).Gid) != os.Getgid() {
		t.Errorf("%s: group %d, want %s (%d)", dist, fi.Sys().(*syscall.Stat_t).Gid, g.Name, os.Getgid())
	}
}

// makeTree copies the named files of the repository into a new directory without .git.
func makeTree(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		writeTreeFile(t, dir, f, string(b))
	}
	return dir
}

func writeTreeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runMake runs make in dir with a standard input that stays open and never delivers
// anything, so a recipe that reads it hangs and fails the test instead of reading EOF.
func runMake(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stdin, keepOpen, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	defer keepOpen.Close()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-C", dir}, args...)...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The whole process group: a hanging recipe's gofmt too.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	// Not the settings of a make that runs these tests (make test).
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" && k != "DESTDIR" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("make %s did not finish within 2 minutes (waiting on stdin?):\n%s", strings.Join(args, " "), out)
	}
	return string(out), err
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
