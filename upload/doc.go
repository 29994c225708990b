// Package upload is HTTP File Upload (XEP-0363) for the server's users, a feature on the
// router's seam (router/feature) that owns the service upload.<domain>: disco#info with
// the max-file-size form, slot requests answered with a PUT and a GET URL, or refused
// for the size limit (not-acceptable with <file-too-large/>) and the per-user quota
// (resource-constraint).
//
// Handler is the embedded HTTP server's: a PUT needs the slot's token (a bearer header
// the slot names), its exact size and content type, and streams the body to a file in
// Config.Dir (never a whole file in memory); a GET serves a stored file with its content
// type, Content-Disposition, Range requests, caching headers, nosniff and a CSP that
// sandboxes it, so that an uploaded HTML file cannot run script in the service's origin.
// The metadata is a store.UploadStore, so that the hosts of a cluster that share the
// directory and a PostgreSQL database serve each other's files. IDs in URLs are 128
// random bits; slots expire unused (Config.SlotTTL), files after Config.ExpireAfter, and
// Run sweeps both with their bytes.
//
// Files a legacy contact sends as a transfer (feature.Files: Spectrum 2's FT_* frames)
// are stored the same way, under the same size limit and quota, and reach the user as a
// link.
package upload
