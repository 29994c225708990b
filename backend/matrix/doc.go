// Package matrix is the native backend `builtin:matrix`: it bridges users to their Matrix
// accounts, on maunium.net/go/mautrix (the client library of the mautrix bridges). A user
// logs in to the gateway as alice%example.org@gateway with the Matrix password of
// @alice:example.org; the daemon sends LOGIN with legacy name alice@example.org (spec 3.3).
//
// # Login
//
// The homeserver is [matrix] homeserver (a base URL, for tests and private servers) or,
// without it, the one example.org's /.well-known/matrix/client names (https://example.org
// when it names none). The password goes to /login as m.login.password; SASL succeeds only
// when the homeserver accepts it. The access token lives in this process's memory only and
// is given back with /logout when the legacy session ends (LOGOUT, a newer LOGIN, or the
// daemon's connection ending). A refused password is DISCONNECTED AUTHENTICATION_FAILED with
// the homeserver's text; network errors and 5xx/429 answers are DISCONNECTED 0, after which
// the daemon logs the user in again (spec 3.4). service.allowed_servers applies to the server
// the user names and to every address dialed (backend/allow).
//
// # Contacts and messages
//
// The roster is the user's direct-message rooms (the m.direct account data): each Matrix
// user with a joined DM room is a contact, named "bob@example.org" for @bob:example.org,
// with the display name from the room's member event as alias and the m.presence the
// homeserver sends as status (online available, unavailable away, else offline); the
// user's own XMPP status sets the account's presence (also on every /sync, which would
// otherwise set it online again). A message to a Matrix user
// without a direct chat creates one (a private room with the user invited as direct) and
// adds it to m.direct; an invitation to a direct chat is accepted and added to m.direct,
// so the inviter becomes a contact.
//
// Messages (events.go): text both ways; notices as text; m.emote as "/me " both ways;
// org.matrix.custom.html as XHTML-IM (the tags of the XHTML-IM integration set, the rest
// as text) and XHTML-IM as HTML; media (m.image, m.file, m.video, m.audio) as the
// homeserver's download URL with OOB; an end-to-end encrypted event as a notice that it
// cannot be shown (the gateway holds no keys), and nothing is sent to an encrypted room
// (the user is told so instead: its members believe it private); each message carries its
// event ID. A file the user shares (an attachment, features.attachments) is fetched and
// uploaded to the media repository, and goes to the direct chat or room as a media event
// (upload.go). Typing
// notifications and chat states both ways (chatstate.go); a message that asked for a
// receipt is acknowledged once the contact's read receipt covers it; the user's read
// markers (features.markers: CONV_MESSAGE_ACK naming an event ID) become read receipts,
// and the user typing or writing in a direct chat sends the read receipt for the
// contact's latest message.
//
// In direct chats and joined rooms the extensions of issue 24 map both ways
// (extensions.go): XEP-0308 corrections are edits (m.replace), XEP-0461 replies
// m.in_reply_to (the user's XEP-0428 quote is left out, as Matrix clients show the
// message replied to; a Matrix reply fallback is kept as the XEP-0428 range), XEP-0444
// reactions annotations (one event per key; the full set a client sends is compared with
// the reaction events the gateway sent for the user, and the removed ones are redacted;
// the others' reactions are gathered into each one's full set), XEP-0424 retractions
// redactions, and a contact's read receipt on the user's message (a member's in a room) a
// XEP-0333 displayed marker. A contact's message is named by its event ID; the user's by
// the XMPP id the daemon gave it, whose event the backend remembers (the last 1024 per
// user; reactions of the last 512 messages per side), and in rooms, where the daemon
// keeps the echo's id, by its event ID.
//
// # The sync loop
//
// One /sync long-poll per user runs with a filter that keeps only what the roster, the rooms and the messages need
// (m.direct, member, power-level, topic, name, alias and encryption state, messages,
// encrypted events, reactions, redactions, typing, receipts and presence); errors back off exponentially
// and the loop resumes from the last next_batch. The first sync's timeline (history) is
// not replayed.
//
// A vCard request is answered from the Matrix profile: the display name, and the avatar
// fetched through the media API as the photo (vcard.go). A contact's avatar goes with it
// to the daemon as the SHA-1 iconHash (XEP-0153 photo hash), fetched once per mxc URI by a
// worker off the sync loop (avatar.go).
//
// # Rooms
//
// Rooms are group chats (features.muc). A joined room is named "#alias:server" by its
// canonical alias or, without one, "#!id:server"; the daemon escapes the name into the
// room JID's node as it does every legacy room name (#lobby\3aexample.org@gateway), with
// capitals marked as the node is case-folded (#^my^room for #MyRoom, names.go), and
// the joined rooms are the user's room list (disco#items). Joining reads the members (as
// occupants, named by display name, else localpart, else the user ID when two share a
// name), the power levels (100 and above owner/moderator, 50 admin/moderator, else
// member/participant: our Participant.affiliation extension), the topic (the subject)
// and the encryption state. Later member events are joins, renames, leaves, kicks
// (someone else's leave: status 307) and bans (301), the user's own included. A join
// brings the room's last 20 messages as delayed history (backfill.go). Invitations
// to rooms become XEP-0249 invitations from the inviter (our ConversationMessage.inviteRoom
// extension). A private message to an occupant goes to the member's direct chat (Matrix
// has none inside rooms). Only members' nicknames and power levels, the topic, and the names of joined
// rooms are kept, each bounded (max_rooms, max_members, maxRoomList).
//
// # Configuration
//
// The [matrix] section of the backend's INI file (in the daemon's TOML:
// [backend_ini.matrix]): homeserver (base URL), connect_timeout (30s, bounds discovery and
// login), sync_timeout (30s, the long-poll), max_rooms (256, the rooms joined through the
// gateway at once: a join past it is refused with not-authorized and says so), max_members
// (5000, the members shown as occupants per room). [logging] level sets the log level.
package matrix
