package bench

import (
	"fmt"
	"strings"
)

// uploadGrowthBound is the upload test's target for the daemon's RSS growth with Parallel
// files under way: a tenth of their bytes. A daemon that held each file in memory would
// grow by all of them.
func uploadGrowthBound(p UploadPlan) float64 { return float64(int64(p.Parallel)*p.Size) / 10 }

// uploadRows adds the upload test's summary rows (spectrum2 only) through add.
func uploadRows(p UploadPlan, add func(name string, f func(*Results) (float64, bool), format string, tgt func(o, p float64) string)) {
	if p.Rounds == 0 {
		return
	}
	mb := float64(p.Size) / 1e6
	for _, c := range []struct {
		what       string
		ours, base func(*UploadResult) Transfers
	}{
		{"PUT", func(u *UploadResult) Transfers { return u.Put }, func(u *UploadResult) Transfers { return u.FloorPut }},
		{"GET", func(u *UploadResult) Transfers { return u.Get }, func(u *UploadResult) Transfers { return u.FloorGet }},
	} {
		add(fmt.Sprintf("upload: %s of a %.0f MB file, median of %d (MB/s)", c.what, mb, p.Rounds),
			uploadF(func(u *UploadResult) (float64, bool) { return c.ours(u).MBps(u.Size), true }), "%.0f", nil)
		add(fmt.Sprintf("upload: %s throughput as a share of the bare net/http HTTPS floor (%%)", c.what),
			uploadF(func(u *UploadResult) (float64, bool) {
				return 100 * Share(c.ours(u), c.base(u), u.Size), u.FloorErr == "" && c.base(u).Time.N > 0
			}), "%.0f", nil)
	}
	bound := uploadGrowthBound(p) / 1e6
	for _, c := range []struct {
		what string
		ph   func(*UploadResult) ParallelResult
	}{
		{"PUTs", func(u *UploadResult) ParallelResult { return u.ParPut }},
		{"GETs", func(u *UploadResult) ParallelResult { return u.ParGet }},
	} {
		add(fmt.Sprintf("upload: daemon RSS growth during %d parallel %.0f MB %s (MB)", p.Parallel, mb, c.what),
			uploadF(func(u *UploadResult) (float64, bool) {
				ph := c.ph(u)
				return float64(ph.Growth()) / 1e6, ph.Done == p.Parallel
			}), "%.1f",
			func(o, _ float64) string {
				if o < bound {
					return fmt.Sprintf("< %.0f MB (a tenth of the files): met", bound)
				}
				return fmt.Sprintf("< %.0f MB (a tenth of the files): **missed**", bound)
			})
	}
}

func uploadF(f func(*UploadResult) (float64, bool)) func(*Results) (float64, bool) {
	return func(r *Results) (float64, bool) {
		if r.Upload == nil || (r.Upload.Err != "" && r.Upload.Put.Time.N == 0) {
			return 0, false
		}
		return f(r.Upload)
	}
}

// UploadDetails is the upload test's detail tables of res ("" without the test), for the
// runs of the test alone, which write no report.
func UploadDetails(res *Results) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	uploadDetails(&b, res)
	return b.String()
}

// uploadDetails shows the transfers beside the floor and the parallel phases.
func uploadDetails(b *strings.Builder, res *Results) {
	u := res.Upload
	if u == nil {
		return
	}
	mb := float64(u.Size) / 1e6
	fmt.Fprintf(b, "\n| HTTP upload, %.0f MB, %s | spectrum2: MB/s median (best, worst), server CPU per MB | bare net/http floor: the same | share of the floor |\n"+
		"| --- | --- | --- | ---: |\n", mb, u.Proto)
	for _, c := range []struct {
		what        string
		ours, floor Transfers
	}{{"PUT", u.Put, u.FloorPut}, {"GET", u.Get, u.FloorGet}} {
		fl, share := "not measured", ""
		if c.floor.Time.N > 0 {
			fl, share = transferCell(c.floor, u.Size), fmt.Sprintf("%.0f %%", 100*Share(c.ours, c.floor, u.Size))
		}
		fmt.Fprintf(b, "| %s (%d) | %s | %s | %s |\n", c.what, c.ours.Time.N, transferCell(c.ours, u.Size), fl, share)
	}
	fmt.Fprintf(b, "\nSlot requests over XMPP (to the result): p50 %s, max %s.\n", ms(u.Slot.P50), ms(u.Slot.Max))
	peak := "the highest of samples every 10 ms"
	if u.PeakFromHWM {
		peak = "the kernel's VmHWM, reset before the phase (and at least the highest 10 ms sample)"
	}
	fmt.Fprintf(b, "\n| %d at once | done, failed | wall time, aggregate MB/s, server CPU | daemon RSS idle | peak | growth |\n"+
		"| --- | ---: | --- | ---: | ---: | ---: |\n", u.Parallel)
	for _, c := range []struct {
		what string
		p    ParallelResult
	}{{"PUTs", u.ParPut}, {"GETs", u.ParGet}} {
		p := c.p
		fmt.Fprintf(b, "| %s | %d, %d | %s, %.0f MB/s, %.0f %% of a core | %.1f MB | %.1f MB | %.1f MB |\n", c.what, p.Done, p.Failed,
			ms(p.Elapsed), mbps(int64(p.Done)*u.Size, p.Elapsed), 100*frac(p.ServerCPU, p.Elapsed),
			float64(p.IdleRSS)/1e6, float64(p.PeakRSS)/1e6, float64(p.Growth())/1e6)
	}
	fmt.Fprintf(b, "\nThe daemon's RSS is its root process's (no backend processes); peak: %s.\n", peak)
	if u.FloorErr != "" {
		fmt.Fprintf(b, "\nThe floor could not be measured: `%s`\n", oneLine(u.FloorErr))
	}
	if u.Err != "" {
		fmt.Fprintf(b, "\nThe upload test failed: `%s`\n", oneLine(u.Err))
	}
}

func transferCell(t Transfers, size int64) string {
	return fmt.Sprintf("%.0f (%.0f, %.0f), %s", t.MBps(size), t.Best(size), mbps(size, t.Time.Max), ms(t.CPUPerMB(size)))
}

// uploadLine is the progress line of the upload test.
func uploadLine(u UploadResult) string {
	floor := func(ours, fl Transfers) string {
		if fl.Time.N == 0 {
			return "floor not measured"
		}
		return fmt.Sprintf("floor %.0f MB/s, %.0f %%", fl.MBps(u.Size), 100*Share(ours, fl, u.Size))
	}
	return fmt.Sprintf("   %s PUT %.0f MB/s (%s), GET %.0f MB/s (%s); %d at once: RSS +%.1f MB (PUTs), +%.1f MB (GETs) %s %s",
		u.Proto, u.Put.MBps(u.Size), floor(u.Put, u.FloorPut), u.Get.MBps(u.Size), floor(u.Get, u.FloorGet),
		u.Parallel, float64(u.ParPut.Growth())/1e6, float64(u.ParGet.Growth())/1e6, u.Err, u.FloorErr)
}
