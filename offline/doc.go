// Package offline is the offline-message feature (XEP-0160), the first server feature on
// the router's seam (router/feature): a message with a body (chat or normal) that no
// resource of the user can take is kept in a store.OfflineStore and delivered, in order
// and with the XEP-0203 <delay/> of its arrival, when a resource of the user next sends
// its initial presence (after the roster, before live traffic). Messages are bounded per
// user (Config.MaxMessages: past it a local sender gets resource-constraint, one from the
// legacy network is logged and counted) and expire (Config.ExpireAfter, swept by Run with
// bounded work per tick). The server advertises msgoffline.
package offline
