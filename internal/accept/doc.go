// Package accept runs a listener's accept loop the way net/http.Server does: an accept
// error other than a closed listener (EMFILE, ENFILE, ENOBUFS, ECONNABORTED...) is retried
// after a pause that starts at 5 ms and doubles up to 1 s, and is logged once per episode
// of failures rather than once per failed call. A process out of file descriptors thus
// keeps serving once descriptors are free again, without spinning meanwhile.
package accept
