package metrics

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Status is the snapshot `spectrum2 status` prints and the admin commands answer from.
type Status struct {
	Version       string          `json:"version"`
	UptimeSeconds int64           `json:"uptime_seconds"`
	Sessions      int             `json:"sessions"`
	Users         []string        `json:"users,omitempty"` // admin socket only: see UserCount
	Backends      []BackendStatus `json:"backends"`
	Crashes       int             `json:"crashed_backends"`
	// ResidentKB and SharedKB are the daemon's own memory (spec 3.20 res_memory and
	// shr_memory add the backends' to these).
	ResidentKB       int64  `json:"resident_kb"`
	SharedKB         int64  `json:"shared_kb"`
	MessagesFromXMPP uint64 `json:"messages_from_xmpp"`
	MessagesToXMPP   uint64 `json:"messages_to_xmpp"`
	// Storage is the storage driver ([storage] driver: sqlite or postgres).
	Storage string `json:"storage,omitempty"`
	// UserCount is the number of users with a legacy session; Users lists their bare
	// JIDs only on the admin socket (HandlerOptions.Users), never on the unauthenticated
	// [metrics] listener.
	UserCount int `json:"user_count"`
	// MaxUsers and MaxBackends are limits.max_users and limits.max_backends (0: no
	// limit), so that one sees how close user_count and the backends are to them.
	MaxUsers    int `json:"max_users"`
	MaxBackends int `json:"max_backends"`
}

// BackendStatus is one backend in Status.
type BackendStatus struct {
	Name       string `json:"name"`
	PID        int    `json:"pid"`
	State      string `json:"state"`
	Users      int    `json:"users"`
	ResidentKB int64  `json:"resident_kb"`
	InitKB     int64  `json:"init_kb"`
	SharedKB   int64  `json:"shared_kb"`
}

// Status returns the current snapshot.
func (m *Metrics) Status() Status {
	st := Status{
		Version:          m.version,
		UptimeSeconds:    int64(m.Uptime() / time.Second),
		Sessions:         m.Sessions(),
		Users:            []string{},
		Backends:         []BackendStatus{},
		MessagesFromXMPP: m.MessagesFromXMPP(),
		MessagesToXMPP:   m.MessagesToXMPP(),
	}
	st.ResidentKB, st.SharedKB, _ = ProcessMemory()
	src := m.src.Load()
	st.Storage = src.Storage
	st.MaxUsers, st.MaxBackends = src.MaxUsers, src.MaxBackends
	if src.Users != nil {
		st.Users = src.Users()
		st.UserCount = len(st.Users)
	}
	if src.Backends != nil {
		ps := src.Backends()
		st.Crashes = ps.Crashes
		for _, b := range ps.Backends {
			st.Backends = append(st.Backends, BackendStatus{
				Name: b.Name, PID: b.PID, State: b.State, Users: b.Users,
				ResidentKB: int64(b.RSS), InitKB: int64(b.InitRSS), SharedKB: int64(b.Shared),
			})
		}
	}
	return st
}

// WriteText prints st for a person, as `spectrum2 status` does.
func (st Status) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "version:   %s\n", st.Version)
	fmt.Fprintf(&b, "uptime:    %s\n", time.Duration(st.UptimeSeconds)*time.Second)
	fmt.Fprintf(&b, "sessions:  %d\n", st.Sessions)
	fmt.Fprintf(&b, "users:     %d%s\n", max(st.UserCount, len(st.Users)), ofLimit(st.MaxUsers, "max_users"))
	fmt.Fprintf(&b, "memory:    %d KB resident, %d KB shared (daemon)\n", st.ResidentKB, st.SharedKB)
	fmt.Fprintf(&b, "messages:  %d from XMPP, %d to XMPP\n", st.MessagesFromXMPP, st.MessagesToXMPP)
	if st.Storage != "" {
		fmt.Fprintf(&b, "storage:   %s\n", st.Storage)
	}
	fmt.Fprintf(&b, "backends:  %d%s (%d crashed since start)\n", len(st.Backends), ofLimit(st.MaxBackends, "max_backends"), st.Crashes)
	for _, be := range st.Backends {
		fmt.Fprintf(&b, "  %-12s pid %-7d %-9s %4d users %8d KB\n", be.Name, be.PID, be.State, be.Users, be.ResidentKB)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ofLimit is " / N (limits.NAME)" after a count, or nothing without a limit.
func ofLimit(n int, name string) string {
	if n <= 0 {
		return ""
	}
	return " / " + strconv.Itoa(n) + " (limits." + name + ")"
}

// ProcessMemory returns this process's resident and shared memory in KB, from
// /proc/self/statm (Linux; elsewhere an error).
func ProcessMemory() (residentKB, sharedKB int64, err error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, 0, fmt.Errorf("metrics: process memory: %w", err)
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return 0, 0, fmt.Errorf("metrics: process memory: short /proc/self/statm")
	}
	page := int64(os.Getpagesize()) / 1024
	res, err1 := strconv.ParseInt(f[1], 10, 64)
	shr, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("metrics: process memory: bad /proc/self/statm")
	}
	return res * page, shr * page, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// Memory is the daemon's resident and shared memory in KB (0, 0 where /proc is missing);
// it makes *Metrics a router.Ops.
func (m *Metrics) Memory() (residentKB, sharedKB int64) {
	res, shr, _ := ProcessMemory()
	return res, shr
}
