package backend

import (
	"os"
	"strconv"
	"strings"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// stats builds the STATS frame that follows every PONG (spec 1.5): resident and shared
// memory in KB, the resident size when the backend started, and the PID as id (the daemon
// uses it to kill an unresponsive backend, spec 2.5).
type stats struct {
	initRes int32
	pid     string
	// The last reading of /proc/self/statm and when it was taken (message).
	res, shared int32
	read        time.Time
}

// statsEvery is how old the memory figures of a STATS may be. The daemon's fence PINGs
// come as often as one per message, and reading /proc/self/statm for each cost the
// backend five syscalls per round trip (issue 26); the daemon only compares the figures
// with its memory limits.
const statsEvery = time.Second

func newStats() stats {
	res, _ := memoryKB()
	return stats{initRes: res, pid: strconv.Itoa(os.Getpid())}
}

// message is the STATS at now, reading the memory figures again when the last reading
// is statsEvery old. Only the connection's reader calls it.
func (s *stats) message(now time.Time) *pb.Stats {
	if s.read.IsZero() || now.Sub(s.read) >= statsEvery {
		s.res, s.shared = memoryKB()
		s.read = now
	}
	res, shared := s.res, s.shared
	return &pb.Stats{Res: &res, InitRes: ptr(s.initRes), Shared: &shared, Id: ptr(s.pid)}
}

// memoryKB reads resident and shared memory from /proc/self/statm (pages); zeros where
// it is not available, as the C++ plugin reports on other systems.
func memoryKB() (res, shared int32) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, 0
	}
	page := int64(os.Getpagesize()) / 1024
	r, _ := strconv.ParseInt(f[1], 10, 64)
	s, _ := strconv.ParseInt(f[2], 10, 64)
	return int32(r * page), int32(s * page)
}
