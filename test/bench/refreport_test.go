package bench

import "testing"

// TestLoaded: the bench's own load (up to 2 at the end) is not taken for another's; a
// load before the run starts, or more than the bench's own by its end, is.
func TestLoaded(t *testing.T) {
	for _, c := range []struct {
		start, end string
		want       bool
	}{
		{"0.59 1.61 4.07", "2.03 1.75 2.58", false},
		{"2.10 1.00 0.50", "1.00 1.00 1.00", true},
		{"0.20 0.20 0.20", "3.10 2.00 1.00", true},
		{"", "", false},
	} {
		if got := loaded(c.start, 1.5) || loaded(c.end, 2.5); got != c.want {
			t.Errorf("start %q, end %q: loaded %v, want %v", c.start, c.end, got, c.want)
		}
	}
}
