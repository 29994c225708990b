// Package feature is the seam between the router and the server features that live in
// their own packages (offline messages now; the message archive, PEP, blocking and more
// next): a feature implements Feature and the optional interfaces for what it does (IQs
// it answers, hooks on messages in either direction, on the user's first available
// presence and on a message no resource can take, disco#info and stream features), and
// the server registers it with the router at wiring (router.Config.Features).
//
// A feature package imports this package, never router: it knows a user only through
// the User handle the hooks receive.
//
// Every hook runs on the user's actor (router/doc.go): the calls for one user are in
// order and never concurrent, so a feature needs no lock for per-user work, and what it
// keeps per user goes in User.SetValue. A hook blocks that user's actor, and that user's
// only, for as long as it runs: it may do a bounded store call (with a timeout), never an
// unbounded wait. State shared between users (a store, counters) is the feature's own
// business and must be safe for concurrent use.
package feature
