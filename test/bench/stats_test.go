package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	sum := Summarize(s)
	tests := []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", sum.P50, 50 * time.Millisecond},
		{"p90", sum.P90, 90 * time.Millisecond},
		{"p99", sum.P99, 99 * time.Millisecond},
		{"p99.9", sum.P999, 100 * time.Millisecond},
		{"max", sum.Max, 100 * time.Millisecond},
		{"mean", sum.Mean, 50500 * time.Microsecond},
		{"one sample", Percentile([]time.Duration{7}, 99), 7},
		{"no samples", Percentile(nil, 50), 0},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if sum.N != 100 {
		t.Errorf("N = %d", sum.N)
	}
}

func TestParseBody(t *testing.T) {
	if id, at, ok := parseBody([]byte("r:3:123456")); !ok || id != 3 || at != 123456 {
		t.Errorf("got %d %d %v", id, at, ok)
	}
	for _, bad := range []string{"q:1", "q:x:1", "q:1:y", "hello"} {
		if _, _, ok := parseBody([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
