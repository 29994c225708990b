// Package muc is the gateway's group chats (XEP-0045): the legacy rooms a user is in,
// joins and leaves, their occupants and participants, groupchat and private messages
// both ways, the join's self-presence hold, history for late joiners, the room list
// and disco#info on rooms and occupants. Behaviour follows sections 3.9 to 3.13 of the
// Spectrum 2 behaviour spec; where we deliberately differ the code cites the section or
// quirk it fixes.
//
// The package knows nothing of the router: a user is reached through Host (its
// resources, its legacy session and backend, the message handling shared with
// one-to-one chats, the features' room hooks), resources through Resource, names
// through router/jidmap. The router implements Host and calls in.
//
// # Concurrency
//
// A user's rooms are per-user state like its roster (router/doc.go): Rooms lives in the
// router's user and is owned by the user's actor. Every call of a User method, and so
// every Host method it calls back, runs on that actor: no lock is needed and the order
// of stanzas and frames per user is kept. The package starts no goroutine; the one
// thing that runs elsewhere is the timer of a held self-presence (join.go), which only
// hands its work to the actor through Host.Post (so a Host must stay usable after the
// call that armed it) and checks there that the hold is still current. Service holds
// what is shared by all users: the configuration, fixed at New, and the global room
// list under its own mutex, taken alone and never held while calling out.
package muc
