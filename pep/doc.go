// Package pep is the personal eventing service (XEP-0163) on every user's bare JID, a
// server feature on the router's seam (router/feature): publish with auto-create and
// publish-options (XEP-0223), retrieve, retract, delete and node configuration of the
// user's own nodes, kept in a store.PEPStore with per-user bounds (nodes, item size,
// items per node). Notifications and the last published item of a node go to the user's
// available resources whose XEP-0115 caps carry node+"+notify"; the caps are asked of the
// resource by disco#info once per verification string and kept in a bounded cache shared
// by all users (only verified ones are shared).
//
// On top of the nodes: private XML storage (XEP-0049), whose XEP-0048 bookmarks are the
// Bookmarks 2 node (XEP-0402) seen the old way (a get is built from the node, a set
// publishes and retracts on it), and the user's avatar (XEP-0084) and nickname
// (XEP-0172), which go to the legacy network as the own-vCard update (XEP-0153's photo).
//
// Other users of the server (peer.go, through feature.Peers) read a node as its access
// model allows: open for all, presence for the owner's roster contacts, whitelist for
// the owner only; contacts get notifications and the last items at login. A vCard the
// user sets with a PHOTO publishes the avatar nodes (vcard.go, XEP-0398).
package pep
