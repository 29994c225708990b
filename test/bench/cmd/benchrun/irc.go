package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/test/bench"
)

// IRC plans (issue 26, the legacy side). The traffic test runs over few users: every line
// of a channel goes to each of its members, so 5,000 lines/s to the memory test's 500 users
// per channel would be 2.5 million deliveries a second. The full plan's memory test has
// 1,000 users: joins cost both sides O(users^2 / channels) (every join goes to every
// member, on IRC and as a presence over XMPP), and on the shared 2-core machine biboumi
// with Prosody had 1,850 of 5,000 users joined after 11 minutes; --irc-scales 1000,5000
// asks for more by hand. The feeds run 5 s a rate (5,000 lines at 1,000/s, 10,000
// deliveries), the memory is read 5 s after the joins (10 s until 2026-12-03), and the
// re-login storm runs once, at the shipped users_per_backend, which puts the 1,000 users on
// one backend process already (the run at users_per_backend = 1,000 was the same one).
func fullIRCPlan() bench.IRCPlan {
	return bench.IRCPlan{
		Channels: 10, Scales: []int{1000}, Hold: 5 * time.Second,
		TrafficUsers: 20, Rates: []int{1000, 5000}, TrafficTime: 5 * time.Second,
		LoginUsers: 1000, LoginOne: 200, LoginWorkers: 50, StormN: 1000, PoolWorkers: 50,
		StormOneBackend: 1000 > shippedUsersPerBackend,
	}
}

func quickIRCPlan() bench.IRCPlan {
	return bench.IRCPlan{
		Channels: 10, Scales: []int{300}, Hold: 2 * time.Second,
		TrafficUsers: 10, Rates: []int{1000}, TrafficTime: 3 * time.Second,
		LoginUsers: 200, LoginOne: 50, LoginWorkers: 50, StormN: 200, PoolWorkers: 50,
	}
}

// measureIRC runs the IRC bench (spectrum2's builtin:irc beside biboumi behind Prosody)
// and writes its section of the report.
func measureIRC(ctx context.Context, f flags) error {
	plan := quickIRCPlan()
	if f.full {
		plan = fullIRCPlan()
	}
	if f.ircScales != "" {
		plan.Scales = nil
		for _, v := range strings.Split(f.ircScales, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return fmt.Errorf("--irc-scales: %q is not a user count", v)
			}
			plan.Scales = append(plan.Scales, n)
		}
	}
	if f.ircHold > 0 {
		plan.Hold = f.ircHold
	}
	if f.ircMemoryOnly {
		plan.Rates, plan.LoginUsers, plan.LoginOne, plan.StormN = nil, 0, 0, 0
	}
	dir, err := os.MkdirTemp(f.tmp, "spectrum2-bench-irc-")
	if err != nil {
		return fmt.Errorf("creating a scratch directory: %w", err)
	}
	if f.tmp == "" {
		defer os.RemoveAll(dir)
	}
	certPath, keyPath, cert, err := bench.WriteCert(dir)
	if err != nil {
		return err
	}
	only := f.only
	if only == "prosody" {
		only = "biboumi"
	}
	env := bench.IRCEnv{Dir: dir, Bin: mustAbs(f.bin), ServerCPU: f.serverCPU, GenCPU: f.genCPU,
		Cert: certPath, Key: keyPath, TLS: bench.ClientTLS(cert, []tls.CurveID{tls.X25519}), Only: only}
	done := bench.Phase(os.Stdout, "IRC (all)")
	res := bench.RunIRC(ctx, env, plan, os.Stdout)
	done()
	res.Command = commandLine(f)
	if f.ircOnly {
		res.Command = "benchrun " + strings.Join(os.Args[1:], " ")
	}
	res.Full = f.full
	fmt.Println(res.Table())
	if f.out == "" {
		return nil
	}
	old, err := os.ReadFile(f.out)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the previous report: %w", err)
	}
	if err := os.WriteFile(f.out, []byte(res.Markdown(string(old))), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Println("IRC section written to", f.out)
	return nil
}
