package irc_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend/backendtest"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// BenchmarkConnectionMemory logs in IRC_MEM_USERS users (200 unless set), each joined to
// one of 10 channels on a real ngircd, and reports the heap and the goroutines that each
// connection adds to one backend process (issue 26: memory per IRC user). With
// IRC_MEM_PROFILE=FILE it writes a heap profile there. b.N is ignored: one round.
//
//	go test -run '^$' -bench ConnectionMemory -benchtime 1x ./backend/irc/
func BenchmarkConnectionMemory(b *testing.B) {
	users := 200
	if v, err := strconv.Atoi(os.Getenv("IRC_MEM_USERS")); err == nil && v > 0 {
		users = v
	}
	if os.Getenv("IRC_MEM_PROFILE") != "" {
		// Every allocation sampled: the default rate (one in 512 KB) says little about a
		// few MB.
		old := runtime.MemProfileRate
		runtime.MemProfileRate = 1
		defer func() { runtime.MemProfileRate = old }()
	}
	s := startIRCd(b, ircdOptions{})
	d := startBackend(b, "irc_server", "127.0.0.1:"+strconv.Itoa(s.Port))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	// All logins at once, then all joins: the backend serves them side by side.
	wait := map[string]bool{}
	for i := range users {
		u := fmt.Sprintf("u%d@localhost", i)
		d.Login(u, fmt.Sprintf("u%d", i), "")
		wait[u] = true
	}
	until(b, d, func(m proto.Message) bool {
		if c, ok := m.(*pb.Connected); ok {
			delete(wait, c.GetUser())
		}
		return len(wait) == 0
	})
	for i := range users {
		u, nick := fmt.Sprintf("u%d@localhost", i), fmt.Sprintf("u%d", i)
		d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(u), Room: ptr(fmt.Sprintf("#c%d", i%10)), Nickname: ptr(nick)})
		wait[u] = true
	}
	until(b, d, func(m proto.Message) bool {
		if p, ok := m.(*pb.Participant); ok && p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) != 0 {
			delete(wait, p.GetUserName())
		}
		return len(wait) == 0
	})
	// Let the joins of the last users reach every member's connection.
	for {
		if _, _, err := d.NextWithin(2 * time.Second); err != nil {
			break
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	g := runtime.NumGoroutine() - g0
	heap := float64(after.HeapInuse) - float64(before.HeapInuse)
	stack := float64(after.StackInuse) - float64(before.StackInuse)
	b.ReportMetric(heap/float64(users)/1024, "heap-KB/conn")
	b.ReportMetric(stack/float64(users)/1024, "stack-KB/conn")
	b.ReportMetric(float64(g)/float64(users), "goroutines/conn")
	if f := os.Getenv("IRC_MEM_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		defer out.Close()
		if err := pprof.WriteHeapProfile(out); err != nil {
			b.Fatal(err)
		}
	}
}

// until reads frames, whatever their number, until ok accepts one.
func until(b *testing.B, d *backendtest.Daemon, ok func(proto.Message) bool) {
	b.Helper()
	for {
		if _, m := d.Next(); ok(m) {
			return
		}
	}
}
