package cluster

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// WriteTable prints the report as an aligned table, one row per target address, followed
// by the notes and a summary line.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTARGET\tADDRESS\tTLS\tCERTIFICATE\tLATENCY\tRESULT")
	ok := 0
	for _, res := range r.Results {
		result := "OK"
		if res.Err != nil {
			result = "FAIL: " + res.Err.Error()
		} else {
			ok++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", res.Service, target(res), dash(res.Address),
			dash(res.TLS), dash(res.Certificate), latency(res), result)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("cluster: write table: %w", err)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	_, err := fmt.Fprintf(w, "%s: %d of %d target addresses OK\n", r.Domain, ok, len(r.Results))
	if err != nil {
		return fmt.Errorf("cluster: write table: %w", err)
	}
	return nil
}

func target(r Result) string {
	if r.Port == 0 {
		return r.Target
	}
	return r.Target + ":" + strconv.Itoa(int(r.Port))
}

func latency(r Result) string {
	if r.Err != nil || r.Latency == 0 {
		return "-"
	}
	return r.Latency.Round(time.Millisecond / 10).String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
