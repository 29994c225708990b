package upload

import (
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// pattern is size bytes of a fixed pattern, read without holding them.
type pattern struct{ off, size int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.size-p.off))
	for i := range n {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(n)
	return n, nil
}

// sink is a ResponseWriter that keeps only a checksum of the body (httptest's recorder
// would hold it all).
type sink struct {
	h    http.Header
	code int
	n    int64
	sum  uint32
}

func (s *sink) Header() http.Header  { return s.h }
func (s *sink) WriteHeader(code int) { s.code = code }
func (s *sink) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	s.n += int64(len(b))
	s.sum = crc32.Update(s.sum, crc32.IEEETable, b)
	return len(b), nil
}

// allocated is the bytes f allocated on the heap (all goroutines; the package's tests do
// not run in parallel).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestPutAndGetStream: a 32 MiB PUT and its GET allocate a small fraction of the file:
// the body goes to disk and back in buffers, never whole into memory (issue 23: 50
// uploads at once must not cost 50 files of RAM).
func TestPutAndGetStream(t *testing.T) {
	const size = 32 << 20
	const bound = 1 << 20
	s, _, _ := newService(t, Config{})
	up, err := s.create("a@example.org", "big.bin", "application/octet-stream", size, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := crc32.NewIEEE()
	if _, err := io.Copy(want, &pattern{size: size}); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	var put *httptest.ResponseRecorder
	if n := allocated(func() {
		req := httptest.NewRequest(http.MethodPut, "/upload/"+up.ID+"/"+up.Name, &pattern{size: size})
		req.ContentLength = size
		req.Header.Set("Authorization", "Bearer "+up.Token)
		put = httptest.NewRecorder()
		h.ServeHTTP(put, req)
	}); n > bound {
		t.Errorf("the PUT of %d bytes allocated %d bytes, want under %d", size, n, bound)
	}
	if put.Code != http.StatusCreated {
		t.Fatalf("PUT: %d %s", put.Code, put.Body)
	}
	for _, rng := range []string{"", "bytes=1000-"} {
		w := &sink{h: http.Header{}}
		if n := allocated(func() {
			req := httptest.NewRequest(http.MethodGet, "/upload/"+up.ID+"/"+up.Name, nil)
			if rng != "" {
				req.Header.Set("Range", rng)
			}
			h.ServeHTTP(w, req)
		}); n > bound {
			t.Errorf("GET %q of %d bytes allocated %d bytes, want under %d", rng, size, n, bound)
		}
		wantN, wantCode := int64(size), http.StatusOK
		if rng != "" {
			wantN, wantCode = size-1000, http.StatusPartialContent
		}
		if w.code != wantCode || w.n != wantN || w.h.Get("Content-Length") != strconv.FormatInt(wantN, 10) {
			t.Errorf("GET %q: %d, %d bytes, Content-Length %q; want %d, %d bytes", rng, w.code, w.n, w.h.Get("Content-Length"), wantCode, wantN)
		}
		if rng == "" && w.sum != want.Sum32() {
			t.Errorf("GET: the bytes differ from the PUT's")
		}
	}
}
