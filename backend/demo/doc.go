// Package demo is the built-in demo network (`service.backend = "builtin:demo"`): a
// legacy network that lives inside the backend process, used by `make run`, the
// end-to-end tests and the benchmarks. It goes through package backend like any backend.
//
// Any name and password log in, except the password "wrong" (DISCONNECTED
// AUTHENTICATION_FAILED "Wrong password") and legacy names starting with "slow", which log
// in after [demo] slow_login_delay (default 5s). The roster holds:
//
//   - echo: online; echoes messages (body, XHTML, id), chat states and attention; "picture" makes it send a PNG as a file transfer (picture.go);
//   - clock: online; changes status type and message every [demo] clock_period (60s);
//   - contact0001 ... : [demo] contacts (default 20) generated contacts with groups,
//     aliases and various statuses.
//
// Every contact has a vCard (echo's has a photo). Messages with an id are acknowledged
// with CONV_MESSAGE_ACK (features.receipts=1).
//
// The room #lobby has three bots (Ada is a moderator) and a subject. A message to the
// room comes back from the user's own nickname, as IRC networks echo it (spec 3.12), and a
// bot answers "<nick>: you said ...". Commands: /topic X, /rename NEW (renames a bot),
// /leave (a bot leaves), /kick (the user is kicked). Any other #room is created empty.
// A private message to #lobby/<bot> is answered privately. Configuration keys live in the
// [demo] section of the backend's INI file.
package demo
