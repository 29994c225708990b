// Package serverinfo is the small server XEPs clients ask the service domain for, a
// server feature on the router's seam (router/feature): XEP-0202 entity time, XEP-0012
// last activity (the server's uptime), and XEP-0157 contact addresses as an XEP-0128
// extended form of the server's disco#info (FORM_TYPE
// http://jabber.org/network/serverinfo), from [service] abuse_addresses, admin_addresses
// and support_addresses.
package serverinfo
