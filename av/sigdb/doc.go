// Package sigdb is the signature database of the built-in anti-virus
// engine: it loads ClamAV-format databases and matches objects (byte
// buffers) against them. The engine calls Match once per object extracted
// from a message; a DB is immutable and safe for concurrent use.
//
// # Formats
//
//   - .hdb, .hsb: whole-object hashes, Hash:Size:Name[:MinFL[:MaxFL]]. The
//     algorithm follows the length of the hex (MD5, SHA1, SHA256) in both;
//     Size may be "*" (ClamAV asks for MinFL 73 there; we do not insist).
//   - .mdb, .msb: PE section hashes, Size:Hash:Name[...]. They are matched:
//     sections are located with ClamAV's rules (see PE files below).
//   - .ndb: body signatures, Name:TargetType:Offset:HexSignature[:MinFL[:MaxFL]].
//   - .fp, .sfp: allow lists in the .hdb/.hsb format: an object whose hash
//     is listed matches nothing.
//   - .ign2: names of signatures to drop, one a line, optionally
//     Name:MD5 where MD5 is that of the signature's database line: the
//     entry then stops applying once the signature changes.
//   - .cvd, .cld: containers. A 512-byte header
//     (ClamAV-VDB:time:version:sigs:flevel:MD5:dsig:builder:stime) then a
//     tar, gzip'd or not, of the files above and others. The MD5 of a .cvd
//     payload is checked when the header has one. A .cld's header describes
//     the .cvd it was updated from, so, as in ClamAV, nothing is checked
//     there. The digital signature (dsig) cannot be verified without
//     ClamAV's public key and is not. When the container has a .info
//     member, every member loaded must be listed there with its size and
//     SHA256. Members of other formats (.ldb, .cdb, .ftm, .ndu, ...) are
//     skipped and counted in Stats.Warnings.
//
// Blank lines and lines starting with '#' are ignored. A malformed line is
// an error naming file:line; one load reports every bad line (up to 50 a
// file). A well-formed signature using something this engine does not
// implement is skipped, counted in Stats.Skipped and described, with its
// first line, in Stats.Warnings: it is never loaded with another meaning.
//
// # Body signatures
//
// Supported: hex bytes, "??", nibbles "a?" and "?a", "*", "{n}", "{-n}",
// "{n-}", "{n-m}", alternatives "(aa|bb)" of single bytes, of equal-length
// byte strings and generic ones (different lengths, with wildcards and
// bounded jumps inside, up to 256 expansions), negated "!(aa|bb)" of
// single bytes or equal-length strings, the class "(W)" (a non-alphanumeric
// byte), and anchored bytes "HEXSIG[x-y]aa" / "aa[x-y]HEXSIG" (read as a
// jump of x to y bytes). As ClamAV 1.4 does, a jump whose upper bound is
// zero ("{0}", "{-0}", "{0-0}") matches any number of bytes.
//
// Skipped: the classes "(B)" and "(L)" (zero-width in ClamAV, their exact
// semantics are not guessed), zero jumps inside alternatives, alternatives
// expanding to more than 256 variants, target types above 14, and entry
// point or section offsets on ELF and Mach-O targets.
//
// Offsets: "*", "n", "EOF-n", "EP+n", "EP-n", "Sx+n", "SEx", "SL+n", each
// but "*" and "SEx" with an optional ",maxshift". As in ClamAV, a
// signature whose offset falls before the start of the object does not
// match.
//
// Target types: 1 (PE) matches only objects that parse as PE files, as do
// signatures with EP or section offsets. All other types are matched
// against the raw bytes of any object. ClamAV matches types 3 (HTML), 4
// (mail) and 7 (ASCII) against normalised text (tags and case folded,
// white space squeezed); raw matching finds fewer of those.
//
// Functionality levels: the engine claims level 150 (ClamAV 1.0).
// Signatures whose MinFL is higher may rely on features we lack, and those
// whose MaxFL is lower were retired for newer engines: both are skipped.
//
// Results were checked against clamscan 1.4 on thousands of generated
// signatures (see TestAgainstClamscan).
//
// # PE files
//
// A small walker reads the headers (see peInfo): the entry point and, for
// each section, its file offset and size rounded to the file alignment and
// clipped to the file, with ClamAV's fallback for misaligned sections, so
// that EP, Sx, SEx, SL and .mdb signatures mean what they mean in ClamAV
// (the tests check it on the clamav-testfiles executables).
//
// # Matching
//
// Hash signatures cost one hash of the object per algorithm in use, and
// only when some signature has the object's size (or "*"): then a map
// lookup on (size, digest). Body signatures are found through an
// Aho–Corasick automaton over one "anchor" per signature: a window of at
// most 16 bytes of its longest run of fixed bytes, chosen to be varied and
// not to start with padding. Only at anchor hits is the whole signature
// verified: the part holding the anchor is placed, then the parts to its
// left and right are matched through the jumps, keeping sets of reachable
// positions rather than backtracking (see verify.go). Signatures without a
// fixed run of 2 bytes take a slow path that tries every allowed start;
// Stats.Warnings counts them. Match reports the matching signature with
// the lowest index (load order); MatchAll lists all of them.
//
// The automaton is written here. The Go libraries looked at did not fit:
// github.com/cloudflare/ahocorasick reports which patterns occur but not
// where, mutates the matcher during a search (unsafe for concurrent use)
// and keeps two 256-pointer arrays per node; github.com/BobuSumisu/aho-corasick
// (last release 2020) keeps a 1 KiB transition row per state, which grows
// to gigabytes with a full ClamAV database, and one pattern per state;
// github.com/petar-dambovaliev/aho-corasick has overlapping matches but
// allocates a match per hit, panics on misuse and keeps package-level
// state; github.com/coregx/ahocorasick has no overlapping matches. Ours
// keeps dense rows only for the root and depth-1 states, sparse children
// below, and skips ahead with a 2-byte prefix bitmap while no anchor can
// start.
package sigdb
