//go:build linux

package pluginserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// socketOwnership: on Linux a backend connection is identified by its socket (the other
// end's inode among the descriptors of the spawned process tree), before any frame.
const socketOwnership = true

// errNoPeer: the other end of a connection is not in /proc/net/tcp{,6} (it was closed
// meanwhile, or lives in another network namespace).
var errNoPeer = errors.New("pluginserver: the peer's socket is not in /proc/net/tcp")

// peer is the other end of a loopback TCP connection as the kernel lists it.
type peer struct {
	inode uint64
	uid   int
}

// peerOf finds the socket at the other end of c: the /proc/net/tcp{,6} entry whose local
// address is c's remote address and whose remote address is c's local address.
func peerOf(c net.Conn) (peer, error) {
	local, ok1 := c.RemoteAddr().(*net.TCPAddr)
	remote, ok2 := c.LocalAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return peer{}, fmt.Errorf("pluginserver: %T is no TCP connection", c)
	}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		p, err := findPeer(file, local, remote)
		if err == nil || !errors.Is(err, errNoPeer) {
			return p, err
		}
	}
	return peer{}, errNoPeer
}

// findPeer scans one /proc/net/tcp-style file: "sl local rem st queues tr retrnsmt uid
// timeout inode ...", addresses as hex words in host byte order, ports in hex.
func findPeer(file string, local, remote *net.TCPAddr) (peer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return peer{}, errNoPeer // no IPv6 in this kernel
		}
		return peer{}, fmt.Errorf("pluginserver: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // the header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || !sameAddr(f[1], local) || !sameAddr(f[2], remote) {
			continue
		}
		uid, err1 := strconv.Atoi(f[7])
		inode, err2 := strconv.ParseUint(f[9], 10, 64)
		if err1 != nil || err2 != nil || inode == 0 {
			return peer{}, errNoPeer // 0: an orphaned socket, closed by its process
		}
		return peer{inode: inode, uid: uid}, nil
	}
	return peer{}, errNoPeer
}

// sameAddr compares a "0100007F:1F90" address of /proc/net/tcp{,6} with a. An IPv4
// address matches its IPv4-mapped IPv6 form (net.IP.Equal).
func sameAddr(field string, a *net.TCPAddr) bool {
	host, port, ok := strings.Cut(field, ":")
	if !ok || len(host)%8 != 0 {
		return false
	}
	if p, err := strconv.ParseUint(port, 16, 16); err != nil || int(p) != a.Port {
		return false
	}
	raw, err := hex.DecodeString(host)
	if err != nil {
		return false
	}
	// The kernel prints each 32-bit word of the address as a number: in memory (network
	// order) it is read in host byte order.
	ip := make(net.IP, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(ip[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	return ip.Equal(a.IP)
}

// holds reports whether the process pid or one of its descendants has the socket inode
// open. Descendants count because wrappers (a shell script, a Python launcher) may leave
// the connection to a process they start.
func holds(pid int, inode uint64) bool {
	if pid <= 0 {
		return false
	}
	want := "socket:[" + strconv.FormatUint(inode, 10) + "]"
	for _, p := range withDescendants(pid) {
		if hasFD(p, want) {
			return true
		}
	}
	return false
}

// hasFD reports whether /proc/pid/fd has a descriptor linking to target.
func hasFD(pid int, target string) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if l, err := os.Readlink(dir + e.Name()); err == nil && l == target {
			return true
		}
	}
	return false
}

// withDescendants returns pid and every process below it, from the parent pids in
// /proc/*/stat.
func withDescendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	children := make(map[int][]int)
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp := statField(p, 1); pp > 0 {
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out) && i < 4096; i++ { // bounded, even if /proc changed meanwhile
		out = append(out, children[out[i]]...)
	}
	return out
}

// statField returns the i-th number after the command name of /proc/pid/stat (0: state
// is skipped, 1 = ppid, 2 = pgrp), or -1.
func statField(pid, i int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) is in parentheses and may contain anything.
	j := bytes.LastIndexByte(data, ')')
	if j < 0 {
		return -1
	}
	fields := strings.Fields(string(data[j+1:]))
	if len(fields) < i+1 {
		return -1
	}
	n, err := strconv.Atoi(fields[i])
	if err != nil {
		return -1
	}
	return n
}

// sameUser reports whether the other end of c is a socket of a process running as our
// user, for the QUERY channel.
func sameUser(c net.Conn) bool {
	p, err := peerOf(c)
	return err == nil && p.uid == os.Getuid()
}
