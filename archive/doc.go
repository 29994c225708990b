// Package archive is the message archive (XEP-0313 Message Archive Management, with the
// urn:xmpp:mam:2#extended filters) and its stable ids (XEP-0359), a server feature on the
// router's seam (router/feature):
//
//   - every message with a body routed to the user (Inbound: from legacy contacts and
//     local users, also those that then wait in the offline store) or sent by the user
//     (Outbound: to legacy contacts and local users) is archived in a store.ArchiveStore
//     and stamped with a <stanza-id by='the user's bare JID'/>, which its delivered copy
//     and its carbons carry; a client's <origin-id/> and the legacy network's id are kept
//     with the entry;
//   - every groupchat message of a legacy room (RoomMessages) is archived in the user's
//     own view of that room, stamped by the room's JID;
//   - every private message with a room occupant (RoomPrivates, both ways) is archived
//     in the user's own archive like a chat, under the occupant's full JID;
//   - MAM queries on the account and on a room JID, the metadata query and the
//     preferences (<prefs/>, kept per user) are answered from the store, one page of at
//     most Config.MaxPage results;
//   - retention: entries older than Config.ExpireAfter go in a sweep with bounded work
//     per tick (Run), and a user holds at most Config.MaxMessages (the oldest go first).
//
// A message that is not archived (chat states alone, errors, a contact the preferences
// exclude) gets no stanza-id: a client that catches up "after" an id it saw must find
// that id in the archive (XEP-0313 section 5).
package archive
