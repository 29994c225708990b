package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/gospectrum/spectrum2/cluster"
	"github.com/gospectrum/spectrum2/metrics"
)

// hostLoad is the load of one checked host, read from its [metrics] /status endpoint.
type hostLoad struct {
	target, addr string
	status       metrics.Status
	err          error
}

// checkLoads asks every distinct address that srv check connected to for its status on
// port (the [metrics] listener, which must then be reachable from where srv check runs):
// sessions, users and backends per host, to see how the users are spread. Hosts are asked
// in the order of the report, each bounded by timeout.
func checkLoads(ctx context.Context, rep cluster.Report, port int, timeout time.Duration) []hostLoad {
	seen := map[string]bool{}
	var out []hostLoad
	for _, res := range rep.Results {
		host, _, err := net.SplitHostPort(res.Address)
		if err != nil || seen[host] {
			continue
		}
		seen[host] = true
		l := hostLoad{target: res.Target, addr: net.JoinHostPort(host, strconv.Itoa(port))}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		l.status, l.err = metrics.FetchStatus(cctx, l.addr)
		cancel()
		out = append(out, l)
	}
	return out
}

// writeLoads prints the loads as a table after the check's. A host whose status cannot be
// read is shown as such; it does not change the exit status, since the metrics listener is
// often bound to a private address.
func writeLoads(w io.Writer, loads []hostLoad) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTARGET\tMETRICS\tSESSIONS\tUSERS\tBACKENDS\tUPTIME\tSTORAGE")
	for _, l := range loads {
		if l.err != nil {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tunavailable: %v\n", l.target, l.addr, l.err)
			continue
		}
		st := l.status
		storage := st.Storage
		if storage == "" {
			storage = "-" // an older spectrum2
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", l.target, l.addr, st.Sessions, len(st.Users),
			len(st.Backends), time.Duration(st.UptimeSeconds)*time.Second, storage)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("srv check: %w", err)
	}
	if warn := storageWarning(loads); warn != "" {
		fmt.Fprintln(w, warn)
	}
	return nil
}

// storageWarning says when the hosts that answered do not share a PostgreSQL: a user who
// moves to another host would not find their offline messages (docs/scaling.md).
func storageWarning(loads []hostLoad) string {
	hosts, shared := 0, 0
	for _, l := range loads {
		if l.err == nil {
			hosts++
			if l.status.Storage == "postgres" {
				shared++
			}
		}
	}
	if hosts < 2 || shared == hosts {
		return ""
	}
	return fmt.Sprintf("warning: %d of %d hosts do not use [storage] driver = \"postgres\": a cluster needs the shared database (docs/scaling.md)", hosts-shared, hosts)
}
