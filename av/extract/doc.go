// Package extract turns one object's bytes (an attachment, already decoded
// from its MIME part by package mimetree) into the tree of objects the
// anti-virus engine scans: the object itself and, when it is an archive or a
// mail base and the group's AVScanArchives / AVScanMailBases allow, every
// member inside it, recursively.
//
// # Walk
//
// Walk calls fn in pre-order: first for the object (Depth 0), then, if it is
// a container that was opened, for each member, descending into members
// that are containers themselves. A Member's Type comes from its content
// (DetectType), never from its name or a declared MIME type. Data is the
// content to scan; it is nil for a container that was opened (its members
// carry the content), for an encrypted member (the bytes are ciphertext) and
// for a member larger than Limits.MaxMemberSize. A damaged member keeps in
// Data what could be read before the damage.
//
// Containers, and the switch that opens them:
//
//	ScanArchives   zip (and zip-based documents: OOXML, ODF, EPUB, JAR/APK),
//	               gzip, bzip2, xz, tar, 7z, rar (RAR 1.5-4 and RAR 5)
//	ScanMailBases  mbox ("From " separated), RFC 822 messages (.eml), and
//	               uuencoded blocks in text
//
// Members are named by the container: the file name stored in a zip, tar,
// 7z or rar (with its directories, e.g. "docs/x.exe"); for gzip the name in
// its header, else the container's name without .gz (.tgz gives .tar), and
// likewise for bzip2 and xz; "message1", "message2"... for the messages of
// an mbox; for the parts of a message their file name, else "part1",
// "part2.1"... (IMAP numbering); for a uuencoded block the name on its
// "begin" line. An entry whose header cannot be read has no name: it is
// called "#N", N counting the container's entries from 1.
//
// Formats recognised but not opened are reported as plain objects (their
// bytes in Data, no error): cab, arj, cpio, chm, OLE2 (doc, xls, msi), pdf,
// rtf, tnef, binhex, szdd, sis, and self-extracting executables (the
// executable is scanned as such). A zip member compressed with a method we
// cannot decode (implode, deflate64, LZMA, PPMd, ...) gets ErrUnsupported.
// Supported zip methods: store, deflate, bzip2 (12), zstd (93) and xz (95).
//
// Damaged archives are read as far as they go, as mail clients and 7-Zip
// do: a zip whose central directory is lost (truncated in transit, or
// mangled on purpose to slip past scanners) is listed from its local
// headers instead; a member cut short keeps what was read. A panic inside
// a decoder (they are fed hostile input; sevenzip v1.6.5 has one, found by
// Fuzz7z) is recovered and reported as ErrDamaged on that object.
//
// # Errors, limits and statuses
//
// A problem with one member is set on that member's Err; Walk itself returns
// only the error of fn (unchanged, and the walk stops) or, when ctx is done,
// an error wrapping ctx.Err(). Member errors wrap one of these sentinels,
// which the engine maps to a status:
//
//	ErrBomb         suspicious  a member expanded past MaxRatio times the
//	                            compressed bytes it came from (judged once
//	                            over 1 MiB: see Ratio below)
//	ErrLimit        error       a container nested deeper than MaxDepth (it
//	                            is not opened; its bytes are in Data), a member
//	                            over MaxMemberSize (read through and counted,
//	                            then dropped), more than MaxMembers members,
//	                            more than MaxTotal bytes expanded, or an xz/rar
//	                            dictionary larger than MaxMemberSize (64 MiB at
//	                            least)
//	ErrDamaged      error       truncated data, bad checksums, broken headers
//	ErrUnsupported  error       a compression method we cannot decode
//
// An encrypted member or archive (zip traditional encryption or AES, 7z AES,
// rar encryption) gets Encrypted=true and no Err: the engine reports it as
// protected, which clamd does not. An archive whose directory is itself
// encrypted (7z -mhe, rar -hp) cannot be listed: it is reported once, with
// Encrypted set and its bytes in Data so that hash signatures still match.
//
// What happens after a limit: ErrBomb and ErrDamaged stop expanding the
// container they occurred in; its siblings and the rest of the walk go on.
// MaxTotal is shared by the whole walk: once used up, the remaining members
// are still listed (names and count are cheap and let name filters work)
// with ErrLimit and no Data. Past MaxMembers the walk stops: the member over
// the count is reported with ErrLimit and nothing after it.
//
// # Ratio
//
// A zip member is judged on its own compressed size, before anything is
// inflated when its header already declares too much (archive/zip holds
// members to their declared sizes). Every container is also judged on the
// bytes its decoder has read so far: out of the first KiB of a 4 GiB
// stream of zeros come megabytes, so a gzip, xz, bzip2, 7z or rar bomb is
// stopped after about 1 MiB of output, not at MaxTotal. Decoders read
// ahead, which only makes the ratio look smaller than it is.
//
// # Memory
//
// Walk holds the object (which the caller owns), and for each container on
// the path from the object to the current member, that member's bytes (at
// most MaxMemberSize each, and all of them together at most MaxTotal), plus
// the decompressors' buffers. Members are expanded through a counting
// reader: no member is read past MaxMemberSize into memory, every byte is
// counted against MaxTotal, the ratio is checked as bytes come, and ctx is
// checked on every read. Sizes declared in zip headers are exact (archive/zip
// rejects a member that expands past its declared size), so a zip member
// declared over MaxTotal or over the ratio is rejected before it is
// inflated. Depth counts every container: a .tar.gz takes two levels (the
// gzip stream, then the tar inside it).
//
// Walk shares no state between calls: concurrent walks are independent.
//
// Known bounds that are the libraries': an xz stream's first block header
// is checked for its dictionary size, later blocks are not; 7z (LZMA/LZMA2)
// dictionaries are allocated as the archive declares them (up to 4 GiB of
// address space, of which only what is written is touched).
//
// # Libraries
//
//   - archive/zip, archive/tar, compress/gzip, compress/bzip2 (standard
//     library): maintained with Go, hardened against bombs (declared sizes
//     enforced), no dependency;
//   - github.com/gabriel-vasile/mimetype: the most complete and actively
//     maintained magic-byte detector in pure Go, no cgo, no global state we
//     change (we never call SetLimit); we add uuencode, mbox, bare-header
//     messages and a few names of our own (application/x-dosexec for every
//     MZ executable, as file(1) says);
//   - github.com/ulikunitz/xz: the pure-Go xz/LZMA decoder the rest of the
//     Go ecosystem uses (sevenzip depends on it too), streaming;
//   - github.com/bodgit/sevenzip: the only maintained pure-Go 7z reader
//     (LZMA, LZMA2, PPMd, BCJ, deflate, bzip2, zstd, AES), io.ReaderAt
//     based, tells when encryption is involved. It does not check member
//     CRCs, so we do; on a mismatch we reread the member's start with
//     another password: if it changes, the member is encrypted (AES over
//     stored data decrypts to garbage without any error), else damaged;
//   - github.com/klauspost/compress/zstd: zstd members of zips (it is
//     already pulled in by sevenzip), one goroutine, bounded window;
//   - github.com/nwaples/rardecode/v2: the maintained pure-Go rar reader
//     (RAR 1.5 to 5), streaming, with a bound on the dictionary it
//     allocates and distinct errors for passwords;
//   - github.com/emersion/go-message: already the project's MIME library
//     (mimetree uses it); it decodes parts' transfer encodings.
//
// Debian's unrar-nonfree, rar and 7-Zip's rar support are not used: the
// package is pure Go.
package extract
