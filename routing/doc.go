// Package routing decides where a processed message goes: the routing
// table of [mailgw.forward]. The gateway has no local delivery agent, so
// every recipient is either forwarded to a fixed host (the corporate MTA
// behind it) or delivered by MX. Route is pure: DNS lookups belong to the
// sender.
//
// # ForwardRoute syntax
//
//	ForwardRoute=MASK DOMAIN           MX hosts of DOMAIN
//	ForwardRoute=MASK [HOST]           HOST, port 25
//	ForwardRoute=MASK [HOST:PORT]      HOST, PORT
//	ForwardRoute=MASK [IPV6]           e.g. [::1], port 25
//	ForwardRoute=MASK [[IPV6]:PORT]    e.g. [[::1]:1025]
//
// MASK is compared with the whole recipient address by mask.Match
// ("*@example.com", "any"). HOST is a host name or an IP address. The space
// before "[" is optional, because the guide writes both
// "*@example.com [localhost:1025]" and "<company_mask>[localhost:1025]";
// whitespace inside the brackets is dropped (the guide's OCR prints
// "[ localhost :1025]"). A bare IPv6 address never carries a port, since
// "::1:25" is itself an address; the inner brackets give one.
//
// The first rule whose mask matches decides; with none, the recipient goes
// to the MX hosts of its own domain (Kind RecipientMX, Host = that domain).
package routing
