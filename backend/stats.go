package backend

import (
	"os"
	"strconv"
	"strings"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// stats builds the STATS frame that follows every PONG (spec 1.5): resident and shared
// memory in KB, the resident size when the backend started, and the PID as id (the daemon
// uses it to kill an unresponsive backend, spec 2.5).
type stats struct {
	initRes int32
	pid     string
}

func newStats() stats {
	res, _ := memoryKB()
	return stats{initRes: res, pid: strconv.Itoa(os.Getpid())}
}

func (s stats) message() *pb.Stats {
	res, shared := memoryKB()
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
