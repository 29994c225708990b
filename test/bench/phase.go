package bench

import (
	"fmt"
	"io"
	"time"
)

// Phase starts timing one phase of a run and returns the function that ends it: it writes
// one line to w with the phase's name, its start (UTC) and its wall-clock duration, so that
// a run's log shows where its time goes (issue 26: make bench under 20 minutes, make
// bench-quick under 3). Lines start with "-- phase" to be found with grep.
func Phase(w io.Writer, name string) func() {
	t0 := time.Now()
	return func() {
		fmt.Fprintf(w, "-- phase %s: start %s, took %v\n", name, t0.UTC().Format("15:04:05"),
			time.Since(t0).Round(100*time.Millisecond))
	}
}
