// Package mimetree is the message model of the mail gateway's core: a
// message is parsed once into a tree of objects that every stage shares
// (anti-spam reads the text, anti-virus scans the leaves, the policy engine
// picks objects to remove or replace), and a modified message is rendered
// from it for the front-ends (milter and SMTP relay), which need its exact
// bytes.
//
// # Objects and paths
//
// Every entity of the message is an Object: the root, each body part of a
// multipart, the message nested in a message/rfc822 part, and each
// uuencoded block found inside a text/plain leaf. Message.Objects lists them
// in pre-order. Paths follow IMAP part numbers where IMAP has them:
//
//	""        the root (the whole message)
//	"1", "2"  the parts of the top-level multipart; "1.2" the second part
//	          of part 1, and so on
//	"2.0"     the entity nested in the message/rfc822 part "2" ("0" when the
//	          root itself is message/rfc822); its parts are "2.0.1", "2.0.2"
//	          (IMAP would say "2.1": the ".0" keeps one path per entity)
//	"P/uu1"   the first uuencoded block inside the text leaf P ("/uu1"
//	          inside the root)
//
// Paths name objects of the parsed message: edits never renumber them.
//
// # Tolerance
//
// Parse never fails and never panics. It reads mail the way forgiving mail
// clients do, because what the gateway cannot see it cannot scan:
//
//   - a leading mbox "From " line is dropped; missing MIME-Version is fine;
//     a missing or invalid Content-Type means text/plain;
//   - a header block ends at the first line that is neither a field nor a
//     continuation, like an MTA reads it; the entity is then a leaf with
//     its undecoded body and ErrMalformedHeader;
//   - lines may end in CRLF or bare LF, even mixed within one multipart;
//   - preamble and epilogue are kept but not parsed; a missing close
//     delimiter ends the last part at the end of its parent (ErrTruncated on
//     the multipart, whose parts are all kept);
//   - parameters with odd quoting, unquoted specials, duplicates or a
//     missing ";" are parsed leniently; file names are decoded from RFC
//     2047 and RFC 2231 (continuations and any charset);
//   - damaged base64 or quoted-printable is decoded skipping the damage
//     (ErrDecode), so that data after a bad byte is still scanned; an
//     unknown transfer encoding leaves the body undecoded
//     (ErrUnknownEncoding);
//   - a multipart whose boundary is missing or never found, or that is
//     nested deeper than Limits.MaxDepth, becomes a leaf holding its body;
//     past Limits.MaxParts objects parsing stops and every container whose
//     children are incomplete gets ErrTooManyParts.
//
// A damaged part does not hide its siblings.
//
// # Rendering
//
// RenderBody applies Remove, Replace and AppendText edits and renders the
// new body. Everything an edit does not touch is copied byte-for-byte from
// the input: boundaries, preamble, epilogue, untouched parts with their raw
// header and still-encoded body. That needs the byte offsets of each part,
// which go-message's multipart reader does not expose (it streams decoded
// parts), so the delimiter lines are located by hand in splitMultipart,
// following RFC 2046 §5.1.1 and go-message's own rules; tests check that
// both split every multipart the same way wherever go-message succeeds.
// go-message still parses every header and undoes transfer encodings.
//
// Structural rules: a multipart never ends up empty (removing its last part
// leaves an empty text/plain part), and a message always keeps a body
// (removing the root, or the entity nested in a message/rfc822 part, leaves
// an empty text/plain body under the original non-MIME header fields). A
// truncated multipart that is re-rendered gets its close delimiter.
// Synthesized bytes use the input's line ending.
package mimetree
