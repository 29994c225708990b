package girc

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestReadLineBound: a line of maxLine bytes is read whole across the reader's buffer,
// one byte longer ends the read with errLineTooLong, and a line cut by EOF is an error.
func TestReadLineBound(t *testing.T) {
	full := strings.Repeat("a", maxLine-2) + "\r\n"
	r := bufio.NewReaderSize(strings.NewReader(full+"PING x\r\n"), 16)
	if got, err := readLine(r); err != nil || got != full {
		t.Fatalf("a line of maxLine bytes: %d bytes, %v", len(got), err)
	}
	if got, err := readLine(r); err != nil || got != "PING x\r\n" {
		t.Fatalf("the next line: %q, %v", got, err)
	}
	long := bufio.NewReaderSize(strings.NewReader(strings.Repeat("a", maxLine)+"\n"), 16)
	if _, err := readLine(long); !errors.Is(err, errLineTooLong) {
		t.Fatalf("a line past maxLine: %v, want errLineTooLong", err)
	}
	if _, err := readLine(bufio.NewReader(strings.NewReader("PING"))); !errors.Is(err, io.EOF) {
		t.Fatalf("a line cut by EOF: %v, want io.EOF", err)
	}
}
