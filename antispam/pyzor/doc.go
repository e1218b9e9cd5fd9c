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
package pyzor
