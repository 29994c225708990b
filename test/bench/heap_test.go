package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// liveHeap asks for two collections (gc=1) and reads HeapAlloc from the text heap profile.
func TestLiveHeapForcesACollectionAndReadsHeapAlloc(t *testing.T) {
	var queries []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		_, _ = w.Write([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 99\n# HeapAlloc = 123456\n# Sys = 7\n"))
	}))
	defer hs.Close()
	srv := &Server{Name: "test", HeapURL: hs.URL + "/debug/pprof/heap"}
	n, err := liveHeap(context.Background(), srv)
	if err != nil || n != 123456 {
		t.Fatalf("liveHeap = %d, %v; want 123456", n, err)
	}
	if len(queries) != 2 || queries[0] != "gc=1" || queries[1] != "gc=1&debug=1" {
		t.Fatalf("queries %q, want gc=1 (a sync.Pool's victim cache survives one), then gc=1&debug=1", queries)
	}
	if n, err := liveHeap(context.Background(), &Server{Name: "no heap"}); n != 0 || err != nil {
		t.Fatalf("without a heap URL: %d, %v", n, err)
	}
}
