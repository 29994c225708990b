package pluginserver

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestLoginSendLogout(t *testing.T) {
	h := start(t, Config{})
	h.login(t, "alice@localhost", "secret")

	f := h.s.Features()
	want := Features{MUC: true, Receipts: true, NeedPassword: true, NeedRegistration: false}
	if f != want {
		t.Errorf("Features = %+v, want %+v", f, want)
	}

	user, buddy, text := "alice@localhost", "bob", "hi"
	msg := &pb.ConversationMessage{UserName: &user, BuddyName: &buddy, Message: &text}
	if err := h.s.Send(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, msg); err != nil {
		t.Fatal(err)
	}
	e := h.next(t, "echoed CONV_MESSAGE", is(pb.WrapperMessage_TYPE_CONV_MESSAGE, user))
	if got := e.m.(*pb.ConversationMessage).GetMessage(); got != text {
		t.Errorf("echo = %q, want %q", got, text)
	}

	// spec 1.4: BUDDIES only when the backends asked for it.
	if err := h.s.Send(user, pb.WrapperMessage_TYPE_BUDDIES, &pb.Buddies{}); err == nil {
		t.Error("Send(BUDDIES) without features.send_buddies_on_login succeeded")
	}

	h.login(t, "bob@localhost", "wrong")
	e = h.next(t, "DISCONNECTED for bob", is(pb.WrapperMessage_TYPE_DISCONNECTED, "bob@localhost"))
	if code := e.m.(*pb.Disconnected).GetError(); code != int32(pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED) {
		t.Errorf("error = %d", code)
	}
	if err := h.s.Send("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, msg); !errors.Is(err, ErrNoBackend) {
		t.Errorf("Send after DISCONNECTED: %v, want ErrNoBackend", err)
	}

	h.s.Logout(user, "alice")
	eventually(t, "LOGOUT at the backend", func() bool { return strings.Contains(h.logs.String(), "got LOGOUT alice@localhost") })
	if err := h.s.Send(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, msg); !errors.Is(err, ErrNoBackend) {
		t.Errorf("Send after Logout: %v, want ErrNoBackend", err)
	}
}

func TestBackendArgv(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		head    []string // argv before --host
	}{
		{"external with BACKEND_ID", fakeBin + " --tag=BACKEND_ID", []string{fakeBin, "--tag=1"}},
		{"builtin", "builtin:demo", []string{fakeBin, "backend", "demo"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Config{Backend: tc.backend, Self: fakeBin})
			h.login(t, "alice@localhost", "x")
			pids := h.pids()
			if len(pids) != 1 {
				t.Fatalf("backends = %v", pids)
			}
			_, p, _ := strings.Cut(h.s.Addr().String(), ":")
			want := append(slices.Clone(tc.head), "--host", "127.0.0.1", "--port", p, "--service.backend_id=1", h.s.cfg.ConfigFile)
			if got := cmdline(t, pids[0]); !slices.Equal(got, want) {
				t.Errorf("argv = %q\nwant   %q", got, want)
			}
		})
	}
}

func TestCrashDeliversDisconnectedAndReloginWorks(t *testing.T) {
	h := start(t, Config{})
	users := []string{"alice@localhost", "bob@localhost"}
	for _, u := range users {
		h.login(t, u, "x")
	}
	old := h.pids()[0]
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{users[0]: true, users[1]: true}
	for len(pending) > 0 { // in any order
		e := h.next(t, "DISCONNECTED for each user", func(e event) bool {
			return e.t == pb.WrapperMessage_TYPE_DISCONNECTED && pending[e.user]
		})
		delete(pending, e.user)
		d := e.m.(*pb.Disconnected)
		if d.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR) || d.GetMessage() != crashMessage {
			t.Errorf("%s: DISCONNECTED %d %q", e.user, d.GetError(), d.GetMessage())
		}
	}
	if err := h.s.Send(users[0], pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{}); !errors.Is(err, ErrNoBackend) {
		t.Errorf("Send to a user of the dead backend: %v", err)
	}
	h.login(t, users[0], "x")
	if pids := h.pids(); slices.Contains(pids, old) {
		t.Errorf("dead backend %d still listed: %v", old, pids)
	}
	if c := h.s.Stats().Crashes; c != 1 {
		t.Errorf("Crashes = %d, want 1", c)
	}
	eventually(t, "the exit logged", func() bool { return strings.Contains(h.logs.String(), "signal killed") })
}

func TestHungBackendIsKilled(t *testing.T) {
	h := start(t, Config{PingInterval: 300 * time.Millisecond})
	h.login(t, "alice@localhost", "x")
	pid := h.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	h.next(t, "DISCONNECTED after the hang", is(pb.WrapperMessage_TYPE_DISCONNECTED, "alice@localhost"))
	t.Logf("hang detected after %v", time.Since(stopped))
	eventually(t, "the hung process reaped", func() bool { return !alive(pid) })
}

func TestUsersPerBackendAndIdleRetirement(t *testing.T) {
	h := start(t, Config{UsersPerBackend: 2, IdleTimeout: 500 * time.Millisecond, PingInterval: time.Second})
	var users []string
	for i := range 5 {
		u := "user" + strconv.Itoa(i) + "@localhost"
		users = append(users, u)
		h.login(t, u, "x")
	}
	st := h.s.Stats()
	if len(st.Backends) != 3 {
		t.Fatalf("5 users with 2 per backend: %d backends, want 3: %+v", len(st.Backends), st.Backends)
	}
	for i, b := range st.Backends {
		if want := min(2, 5-2*i); b.Users != want {
			t.Errorf("backend %d has %d users, want %d", b.ID, b.Users, want)
		}
	}
	pids := h.pids()
	for _, u := range users[:4] {
		h.s.Logout(u, strings.TrimSuffix(u, "@localhost"))
	}
	eventually(t, "the two emptied backends retired", func() bool { return len(h.s.Stats().Backends) == 1 })
	for _, pid := range pids[:2] {
		eventually(t, "retired backend reaped", func() bool { return !alive(pid) })
	}
	if c := h.s.Stats().Crashes; c != 0 {
		t.Errorf("retirement counted %d crashes", c)
	}
	if err := h.s.Send(users[4], pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{UserName: &users[4]}); err != nil {
		t.Errorf("the remaining user lost its backend: %v", err)
	}
}

func TestShutdownLeavesNoProcess(t *testing.T) {
	for _, mode := range []string{"normal", "ignoreexit"} {
		t.Run(mode, func(t *testing.T) {
			h := start(t, Config{Backend: fakeBin + " --mode=" + mode, UsersPerBackend: 1})
			h.login(t, "alice@localhost", "x")
			h.login(t, "bob@localhost", "x")
			pids := h.pids()
			if len(pids) < 2 {
				t.Fatalf("backends %v", pids)
			}
			h.stop(t)
			for _, pid := range pids {
				if alive(pid) {
					t.Errorf("backend %d outlived Run", pid)
				}
			}
			for _, u := range []string{"alice", "bob"} {
				if !strings.Contains(h.logs.String(), "got LOGOUT "+u+"@localhost") {
					t.Errorf("no LOGOUT for %s at shutdown", u)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			u := "carol@localhost"
			if err := h.s.Login(ctx, &pb.Login{User: &u}); !errors.Is(err, ErrClosed) {
				t.Errorf("Login after Run: %v, want ErrClosed", err)
			}
		})
	}
}

func TestUnknownFrameDoesNotStall(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=unknownframe"})
	h.login(t, "alice@localhost", "x") // waits for the CONNECTED behind the unknown frame
}

func TestSpawnFailureFailsLogin(t *testing.T) {
	for name, backend := range map[string]string{
		"missing binary":   "/nonexistent/backend",
		"exits at once":    "/bin/false",
		"never identifies": fakeBin + " --mode=nostats",
	} {
		t.Run(name, func(t *testing.T) {
			h := start(t, Config{Backend: backend, SpawnTimeout: time.Second, PingInterval: 200 * time.Millisecond})
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			u := "alice@localhost"
			if err := h.s.Login(ctx, &pb.Login{User: &u}); err == nil || ctx.Err() != nil {
				t.Fatalf("Login = %v (ctx %v), want a spawn error", err, ctx.Err())
			}
		})
	}
}

func TestLoginCanceled(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=nostats"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	u := "alice@localhost"
	if err := h.s.Login(ctx, &pb.Login{User: &u}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Login = %v, want DeadlineExceeded", err)
	}
	if n := len(h.s.waiting); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}

func TestMemoryCollectorRetiresLargestBackend(t *testing.T) {
	h := start(t, Config{MemoryCollectorTime: 300 * time.Millisecond, PingInterval: time.Second})
	h.login(t, "alice@localhost", "x")
	first := h.pids()[0]
	eventually(t, "the backend set to die", func() bool {
		for _, b := range h.s.Stats().Backends {
			if b.PID == first && !b.AcceptUsers {
				return true
			}
		}
		return false
	})
	h.login(t, "bob@localhost", "x")
	for _, b := range h.s.Stats().Backends {
		if b.PID == first && b.Users != 1 {
			t.Errorf("the retired backend took a user: %+v", b)
		}
	}
	h.s.Logout("alice@localhost", "alice")
	eventually(t, "the emptied backend retired", func() bool { return !alive(first) })
}

func TestLoginDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	h := start(t, Config{LoginDelay: delay})
	eventually(t, "the warm backend", func() bool { return h.readyBackends() == 1 })
	begin := time.Now()
	h.login(t, "alice@localhost", "x")
	h.login(t, "bob@localhost", "x")
	// A lower bound only: bob's LOGIN may not be sent before alice's plus the delay.
	if d := time.Since(begin); d < delay {
		t.Errorf("second login after %v, want at least %v", d, delay)
	}
}

func TestRawXML(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=rawxml"})
	h.login(t, "alice@localhost", "x")
	stanza := "<message to='bob@localhost'><body>hi</body></message>"
	if err := h.s.SendRawXML("alice@localhost", []byte(stanza)); err != nil {
		t.Fatal(err)
	}
	var got string
	for len(got) < len(stanza) {
		select {
		case r := <-h.rec.raw:
			if r.backend != "backend-1" {
				t.Errorf("backend = %q, want backend-1", r.backend)
			}
			got += string(r.data)
		case <-time.After(wait):
			t.Fatalf("RAW_XML echo incomplete: %q", got)
		}
	}
	if got != stanza {
		t.Errorf("RAW_XML = %q, want %q", got, stanza)
	}
	if err := h.s.SendRawXML("nobody@localhost", []byte(stanza)); !errors.Is(err, ErrNoBackend) {
		t.Errorf("SendRawXML to an unknown user: %v", err)
	}
}

func TestIdleBackendIgnoringExitIsKilled(t *testing.T) {
	// The idle backend is retired on a ping tick. A second between ticks leaves a loaded
	// machine room to answer each PING: a backend that misses one is killed as hung, not
	// retired with EXIT, which is what this test is about.
	h := start(t, Config{Backend: fakeBin + " --mode=ignoreexit", UsersPerBackend: 1, IdleTimeout: 300 * time.Millisecond, PingInterval: time.Second})
	h.login(t, "alice@localhost", "x")
	first := h.pids()[0]
	h.login(t, "bob@localhost", "x")
	h.s.Logout("alice@localhost", "alice")
	// EXIT first; the kill follows ShutdownGrace later.
	eventually(t, "the idle backend killed", func() bool { return !alive(first) })
	if !strings.Contains(h.logs.String(), "backend ignored EXIT; killing it") {
		t.Error("the backend was not asked to exit first")
	}
	if err := h.s.Send("bob@localhost", pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{}); err != nil {
		t.Errorf("bob lost his backend: %v", err)
	}
}

func TestWaitingUsersAreServedInOrder(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=slowstart"})
	errs := make(chan error, 5)
	for i := range 5 {
		u := "user" + strconv.Itoa(i) + "@localhost"
		go func() {
			errs <- h.s.Login(context.Background(), &pb.Login{User: &u})
		}()
		eventually(t, "the login queued", func() bool {
			h.s.mu.Lock()
			defer h.s.mu.Unlock()
			return len(h.s.waiting) == i+1
		})
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	logs, last := h.logs.String(), -1
	for i := range 5 {
		at := strings.Index(logs, `"user":"user`+strconv.Itoa(i)+`@localhost","message":"LOGIN sent"`)
		if at < 0 || at < last {
			t.Fatalf("user%d was not served in order:\n%s", i, logs)
		}
		last = at
	}
}
