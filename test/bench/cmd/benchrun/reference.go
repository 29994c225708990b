package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gospectrum/spectrum2/server/config"
	"github.com/gospectrum/spectrum2/test/bench"
)

// shippedUsersPerBackend is service.users_per_backend as shipped, for the demo's native
// backend: the memory test at the defaults reads its first backend with that many users.
const shippedUsersPerBackend = config.NativeUsersPerBackend

// tailSessions is the tail test's sessions: 10 messages a second each at 5,000 msg/s, well
// under spectrum2's shipped limits.stanzas_per_second (50), so no bounce shapes the tail.
const tailSessions = 500

// measureFloor runs the bare TLS 1.3 server (this binary with --bare-tls-serve) when the plan
// has it and the run measures every server.
func measureFloor(ctx context.Context, f flags, plan bench.Plan, dir, certPath, keyPath string, cfg *tls.Config, rep *bench.Report) error {
	if plan.Floor.Workers == 0 || f.only != "" {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding myself: %w", err)
	}
	d := filepath.Join(dir, "bare-tls")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", d, err)
	}
	srv, err := bench.NewBareTLS(d, self, f.serverCPU, certPath, keyPath)
	if err != nil {
		return err
	}
	fp := plan.Floor
	fmt.Printf("== bare TLS 1.3: %d workers for %v, then %d idle connections\n", fp.Workers, fp.Time, fp.Idle)
	r := bench.RunFloor(ctx, srv, cfg, fp.Workers, fp.Time, fp.Idle, plan.PoolWorkers, fp.Hold)
	fmt.Printf("   %.0f handshakes/s, %d errors %s, server %.0f%% gen %.0f%%, idle %.1f KB RSS %.1f KB PSS per connection %s\n",
		r.Rate(), r.Errors, r.FirstErr, 100*r.Cost.ServerLoad(), 100*r.Cost.GenLoad(), r.PerConn/1000, r.PSSPerConn/1000, r.Err)
	rep.Floor = &r
	return nil
}

// refMaxScale is the largest session count Prosody is measured at: issue 11's 19,000
// sessions without a drop for 60 s is spectrum2's target, Prosody's RSS per session was the
// same at 1,000, 5,000 and 19,000 in every run (48.5 to 48.8 KB), and at 19,000 it answered
// 46 closed-loop round trips a second with 18,283 still queued when the loop ended. Its
// 19,000 took 2 min 45 s of the 2026-12-02 make bench (3 min 22 s on 2026-12-03 at load 5 to
// 12), 73 s of which are its logins' CPU alone; the rows at 19,000 have no Prosody column.
const refMaxScale = 5000

// prosodyPlan is plan without the scales above refMaxScale and without the idle test with
// stream management: issue 13's budget for it is half of Prosody's RSS per session without
// (issue 11's), which the scale at the same count gives, and Prosody's 5,000 with mod_smacks
// took 83 s of the full run (57 s of logins, 15 s to stop with the hibernating sessions).
func prosodyPlan(plan bench.Plan) bench.Plan {
	plan.Scales = slices.DeleteFunc(slices.Clone(plan.Scales), func(sc bench.Scale) bool { return sc.N > refMaxScale })
	plan.SMScales = nil
	// Its queries take 13 to 30 ms each, one at a time: 1,000 took 31 s; 300 give its p99
	// from the 3 slowest.
	plan.Archive.Queries = min(plan.Archive.Queries, refQueries)
	return plan
}

// refQueries is the most archive queries Prosody is timed with.
const refQueries = 300

// ejabberdPlan is plan without what would take make bench past its 20 minutes (and the quick
// run past its 3) for a second reference: the session counts above 5,000 and the idle test
// with stream management.
func ejabberdPlan(plan bench.Plan) bench.Plan {
	var scales []bench.Scale
	for _, sc := range plan.Scales {
		if sc.N <= 5000 {
			scales = append(scales, sc)
		}
	}
	plan.Scales, plan.SMScales = scales, nil
	return plan
}
