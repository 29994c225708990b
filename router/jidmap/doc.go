// Package jidmap maps the legacy network's names to JID localparts and back (spec 3.3,
// 3.7, 3.12): XEP-0106 escaping, the '@' to '%' replacement when escaping is off, and the
// case-insensitive key under which the router and its group chats (router/muc) keep
// legacy names. It is pure: no state, no configuration but what the calls pass.
package jidmap
