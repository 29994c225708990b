package bench

import "testing"

// The references run no idle test with stream management; the row compares with their idle
// test at the same session count.
func TestSMRowTakesTheReferencesPlainIdleTest(t *testing.T) {
	ours := &Results{SMScales: []ScaleResult{{N: 5000, Opened: 5000, PerSession: 25000}}}
	ref := &Results{Scales: []ScaleResult{{N: 1000, Opened: 1000, PerSession: 40000}, {N: 5000, Opened: 5000, PerSession: 48000}}}
	f := smOrPlainF(0, 5000)
	if v, ok := f(ours); !ok || v != 25 {
		t.Fatalf("ours: %v %v, want 25 from the test with stream management", v, ok)
	}
	if v, ok := f(ref); !ok || v != 48 {
		t.Fatalf("reference: %v %v, want 48 from its idle test at 5000", v, ok)
	}
	if _, ok := f(&Results{SMScales: []ScaleResult{{N: 5000, Opened: 10}}, Scales: ref.Scales}); ok {
		t.Fatal("a failed test with stream management must not fall back to the plain one")
	}
}
