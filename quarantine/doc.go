// Package quarantine keeps the message stores: the anti-spam quarantine
// (ASQuarantinePath), the anti-virus quarantine (AVQuarantinePath), the
// incoming archive and the outgoing archive (IncomingArchivePath and
// OutgoingArchivePath of [mailgw.archive]). Each is a directory managed by
// a Store; they share the format and the tool, mailgw-maila, but never
// their directory.
//
// # On-disk layout
//
// A stored message is two files, both mode 0600 in a directory of mode
// 0700:
//
//	ID.eml   the original message, byte for byte
//	ID.json  its metadata (Meta): id, status, size, arrival (RFC 3339),
//	         client_ip, sender, recipients, group, reasons, queue_id
//
// IDs made by the store sort by creation time and are unique across
// processes: "20071212T121351123456-k3j5x9q2ab" is the UTC time to the
// microsecond and 50 random bits. IDs given to the tool may be any 1 to
// 64 characters of [0-9A-Za-z_-], not starting with '-'; nothing else can
// name a file of the store, so no ID escapes the directory.
//
// Each file is written to a temporary ".tmp-..." file in the same
// directory, synced, renamed into place, and the directory synced. ID.eml
// is written first; a message exists once its ID.json does. A crash thus
// leaves either a whole message or leftovers that listings ignore and
// Purge removes after an hour.
//
// The files are the truth. Back a store up with cp; restore it by copying
// the files back. The index, ".index.db" (a bbolt database), only caches
// the metadata so that listing thousands of messages reads one file: each
// List compares it with the directory (names, mtimes and sizes of the
// ID.json files) and reads the files that are new or changed, so files
// copied in or removed by hand are seen at once. A missing or damaged
// index is rebuilt; an index held by another process (bbolt locks the
// file) is skipped after 200ms and the files are read instead, as is one
// the process may not open (made by root in the daemon's store). Deleting
// .index.db is always safe. The one change it can miss is an ID.json
// rewritten in place within the same clock tick at the same size.
//
// Other files of the protocol below: ID.sending (the metadata of a message
// being released) and ID.sent (a small JSON receipt of a released message,
// removed by Purge with the messages of its age).
//
// # Release protocol
//
// Release (mailgw-maila --send-id) delivers a message at most once, and
// exactly once when nothing fails, however many releases of it run at the
// same time, in however many processes:
//
//  1. Claim: rename ID.json to ID.sending, set its mtime to now, sync the
//     directory. rename(2) is atomic, so exactly one claimant succeeds;
//     for everyone else (List, Remove, Purge, other releases) the message
//     is gone. A release that finds ID.sending reports "claimed"; one that
//     finds ID.sent reports "already sent"; otherwise "not found". A
//     message restored from a backup after its release still has its
//     ID.sent, and is refused too: remove ID.sent to send it again. (The
//     check for an existing ID.sending or ID.sent and the rename are two
//     steps: an ID.json copied in by hand during a release could be
//     claimed a second time.)
//  2. Deliver ID.eml with the envelope of ID.sending: by SMTP to
//     ReleaseHost, or with ReleaseVia=queue into mailgw-relay's queue
//     (synced there before this step counts as done), which then delivers
//     it by its routes without filtering it again.
//  3. If the next hop refused the message or could not be reached, rename
//     ID.sending back to ID.json: the message is as before.
//     If the whole message was sent but no reply came (ErrOutcomeUnknown)
//     the next hop may have it: ID.sending stays for the administrator.
//  4. On success write ID.sent (atomically, synced) and only then remove
//     ID.sending and ID.eml. A release interrupted after step 4 began is
//     finished by the next release of that ID, which reports "already
//     sent" and never delivers.
//
// A crash between delivering and writing ID.sent leaves ID.sending with no
// ID.sent: the outcome is unknown, and later releases refuse the message
// ("claimed"), naming it interrupted once the claim is older than 15
// minutes (Options.StaleAfter) and printing the two ways out: check the
// next hop's log, then "mv ID.sending ID.json" to send it again or
// "rm ID.sending ID.eml" to drop it. Nothing is ever sent twice silently.
//
// # mailgw-maila
//
//	mailgw-maila [--config FILE] --archive-path=DIR ACTION
//
// ACTION is exactly one of:
//
//	--show-all               list: ID STATUS SIZE DATE IP <SENDER> -> <RCPT>[,<RCPT>...]
//	                         then "Total: N archived messages, B bytes"
//	--show ID                metadata, then the message header
//	-d, --remove-id=ID       remove a message
//	-r, --remove-all         remove every message
//	-o, --send-id=ID         release a message (see above), then remove it
//	-a, --send-all           release every message, oldest first
//	--purge-older-than=AGE   remove messages older than AGE: "30d" (days) or
//	                         a Go duration ("12h", "90m")
//	--export ID              write ID.eml to the current directory, or to
//	                         --out FILE ("-" for standard output); an
//	                         existing file is never overwritten
//
// DATE is in the local time zone in RFC 1123 form with a numeric zone
// ("Wed, 12 Dec 2007 15:13:51 +0300"); IP is "-" when unknown. Control
// characters in addresses, statuses and headers are shown as \xNN or
// \uNNNN, so that a sender cannot forge lines of the listing. Messages
// being released are noted on standard error after the listing.
//
// Released messages go by SMTP, with their original envelope, to the next
// hop given by --release-host HOST:PORT, announcing --helo NAME; the
// defaults are those of [mailgw.quarantine] ReleaseHost and ReleaseHelo
// (127.0.0.1:25 and localhost). With ReleaseVia=queue, or
// --release-queue DIR, they are put into mailgw-relay's queue instead
// ([mailgw.relay] QueueDirectory), which delivers them by its routes
// without filtering them again (Tool.QueueRelease). --config FILE reads
// these settings from a configuration file (Tool.LoadConfig; mailgw-maila
// and mailgw quarantine load it as the daemons do).
//
// Exit codes:
//
//	0  done
//	1  bad parameters (unknown option, no or several actions, invalid ID or age)
//	2  the directory is missing or unreadable
//	3  system error: I/O error, damaged message files, or a release whose
//	   outcome is unknown (the message stays claimed)
//	4  action not performed: unknown ID, message being sent or already
//	   sent, next hop refused or unreachable (the message stays), export
//	   file exists
//
// With --remove-all and --send-all every message is tried; the exit code
// is the worst outcome (3 over 4). Damaged files are reported as warnings
// and do not change the exit code of --show-all and --purge-older-than.
//
// # Configuration
//
// [mailgw.quarantine] (Schema, FromConfig) holds Retention (days, 0 keeps
// messages forever, default 30; the daemons apply it hourly to every
// store the configuration names), ReleaseVia, ReleaseHost and
// ReleaseHelo. The
// directories are configured where they were: AVQuarantinePath and
// ASQuarantinePath per group, the archive paths in [mailgw.archive].
package quarantine
