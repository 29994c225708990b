package feature

import "github.com/gospectrum/spectrum2/internal/xmpp"

// Subdomain is a feature that owns a service at Label+"."+domain (upload.example.org for
// XEP-0363). The router lists it in the server's disco#items and hands it every IQ get or
// set a user addresses to it, disco#info and disco#items included; the feature answers
// each exactly once through u.Send(from, ...). Messages and presences to it get
// service-unavailable from the router. The address is the same for every user: it is no
// JID of the legacy network.
type Subdomain interface {
	// Subdomain is the label and the disco#items name of the service.
	Subdomain() (label, name string)
	HandleSubdomainIQ(u User, from string, iq *xmpp.Element)
}

// File is a file that a legacy contact sends the user as a transfer (Spectrum 2's FT_*
// frames), as the router hands it to a Files feature.
type File struct {
	ID       int32  // the backend's transfer id, unique among the user's transfers
	From     string // the contact's JID (the router mapped the legacy name)
	Name     string // file name, as the legacy network gave it
	MimeType string // "" when the backend did not say
	Size     int64  // announced size in bytes
}

// Files takes files that arrive from the legacy network as transfers, so that the user
// gets a link (XEP-0066 OOB) instead of a stream negotiation (XEP-0096) that mobile
// clients no longer implement. The router calls FileStart when a backend offers a file:
// a nil error accepts it (the router asks the backend for the data), an *Error refuses it
// (the router cancels the transfer and tells the user its Text). FileData gets each chunk
// in order; an error cancels. FileEnd ends a transfer: complete when the backend finished
// it, false when it was cancelled or the user's legacy session ended; for a complete one
// it returns the URL the router delivers (body and OOB), or an *Error for the user.
type Files interface {
	FileStart(u User, f File) error
	FileData(u User, id int32, data []byte) error
	FileEnd(u User, id int32, complete bool) (url string, err error)
}
