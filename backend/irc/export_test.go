package irc

// MaxRoomMembers is maxRoomMembers, for the tests that reach it.
const MaxRoomMembers = maxRoomMembers
