package bench

import (
	"testing"
	"time"
)

func TestMarkdownKeepsTheOtherSection(t *testing.T) {
	full := Report{Full: true, Started: time.Now(), Finished: time.Now()}.Markdown("")
	if section(full, "full") == "" || section(full, "quick") != "" {
		t.Fatalf("a full run must write only the full section:\n%s", full)
	}
	both := Report{Started: time.Now(), Finished: time.Now()}.Markdown(full)
	if section(both, "full") != section(full, "full") || section(both, "quick") == "" {
		t.Fatalf("a quick run must keep the full section and add its own:\n%s", both)
	}
}
