// Package access decides, from facts the caller has looked up, whether an
// SMTP client may connect, greet, send and relay: the [mailgw.access]
// section of mailgw.conf. Evaluation is pure (no DNS, no clock, no state),
// so the milter and the SMTP relay share it and tests need no network.
//
// # Rules
//
// ConnectRule, HeloRule, MailfromRule and RelayRule are lists; the first
// rule of a list that matches decides, and an empty value is ignored (so
// "-o mailgw.access.RelayRule=" empties a list). A rule is
//
//	allow|deny from CONDITION [to RECIPIENT_MASK]
//
// Keywords are case-insensitive. "for" is a synonym of "from", because the
// guide's own example (section 5.2.3) is "ConnectRule=deny for ip
// 10.10.138.99". Without "to" the mask is "*". A rule matches when its
// condition holds and the recipient matches the mask.
//
// Conditions, by rule:
//
//	ConnectRule   in_dnsbl | out_dnsbl | has_name | no_name | any | ADDRESS
//	HeloRule      has_ip | no_ip | same_ip | diff_ip | any
//	MailfromRule  has_ip | no_ip | has_mx | no_mx | any
//	RelayRule     any | ADDRESS
//
// ADDRESS is an optional word "ip" followed by A.B.C.D, A.B.C.D/NN,
// A.B.C.D/M.M.M.M (a contiguous netmask), an IPv6 address or IPv6/NN; host
// bits are ignored (10.1.2.3/16 is 10.1.0.0/16). in_dnsbl holds when the
// ratings of the DNSBlackList zones listing the client add up to
// DNSBLThreshold (100) or more, out_dnsbl otherwise. diff_ip holds when the
// HELO name resolves, but not to the client's address; a name that does not
// resolve is no_ip.
//
// # Masks
//
// Masks are matched by package mask, the one wildcard matcher of the program: "*" is any run of
// characters, "?" one character, case is ignored, and "any" matches
// everything. Rule masks are compared with the whole address
// (*@example.com), ProtectedDomains masks with the domain (*.example.com).
//
// # DNSBlackList
//
//	DNSBlackList=ZONE[:RATING]     e.g. zen.spamhaus.org:100
//	DNSBlackList=ZONE RATING       e.g. bl.spamcop.net 50
//
// RATING is 1–100 and defaults to 100. The list is repeatable (or
// comma-separated); a zone may appear once.
//
// # Defaults
//
// When no rule matches, Connect, Helo and Mailfrom allow. Relay allows only
// a recipient whose domain matches ProtectedDomains ([mailgw.network], or
// [mailgw.forward] where the guide also documents it) or a client on a
// loopback address, and denies everything else: an empty configuration is
// never an open relay. ProtectedDomains masks without a letter or digit
// ("*", "*.*", "any") are refused for the same reason.
package access
