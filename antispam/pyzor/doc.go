// Package pyzor is the client of the Pyzor digest service: it computes the
// digest of a message exactly as pyzor 1.0.0 does and asks a Pyzor server
// (UDP, protocol version 2.1) how often that digest was reported as spam
// and whitelisted. Only the 40-hex-digit digest leaves the gateway, never
// any text of the message.
//
// It is written here rather than imported because no maintained Go
// implementation of Pyzor exists: the digest is only defined by the
// Python reference code (pyzor/digest.py), whose quirks a client must
// reproduce bit for bit to find the reports of other Pyzor users, so the
// tests compare every digest with the output of Debian's /usr/bin/pyzor
// and run the client against a real pyzord.
//
// # Fidelity
//
// The digest follows Python where Go's libraries differ: the transfer
// decoding of the email package (lenient base64 that stops at padding,
// a2b_qp), Python's codecs (single-byte tables checked byte for byte,
// undecodable bytes dropped), html.parser's text runs rather than HTML5's,
// str.splitlines and the Unicode classes of re. All 6046 messages of the
// SpamAssassin public corpus digest as pyzor digests them. Known
// differences: mimetree, not Python's parser, splits the message, so a
// damaged header block (a bare CR, a field name followed by blanks)
// can end elsewhere; the CJK codecs use x/text's tables, which differ from
// Python's in rare characters; a NUL inside an HTML tag.
package pyzor
