// Package admin is the administrators' interface (spec 3.20) and the users' ad-hoc
// commands (spec 3.14), as a server feature on the router's seam (router/feature):
//
//   - the administrators of service.admin_jid log in with service.admin_password and get
//     no legacy session (feature.Sessions); their only contact is the gateway, and a chat
//     message or an XEP-0050 ad-hoc command to it runs one admin command;
//   - Command runs one command line, for those sessions and for the backend port's QUERY
//     channel (spec 1.8);
//   - users see one ad-hoc command, settings (feature.IQHandler and feature.DiscoItems).
//
// It knows the router only through router/feature; what the commands report (users,
// backends, counters) comes through Sources and Config, set at wiring by server.
package admin
