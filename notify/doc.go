// Package notify writes the texts the gateway sends or inserts on its own:
// notices to the administrator, recipients and senders, placeholders for
// removed objects, delivery status notifications (DSNs) and disclaimers.
// It owns the configuration section [mailgw.templates].
//
// # Templates
//
// Each kind of text comes from a template: notify (body of a notice),
// placeholder (text replacing a removed object), dsn (human-readable part
// of a DSN, RFC 3464) and disclaimer (informational text appended to the
// messages of a group). Built-in templates are embedded (templates/*.tmpl);
// NotifyTemplate, PlaceholderTemplate, DSNTemplate and DisclaimerTemplate
// in [mailgw.templates] name files that replace them. A group's own
// template is parsed with ParseFile and takes part through
// Templates.With.
//
// Templates use Go's text/template language ({{.Sender}}, {{if}},
// {{range}}, {{with}}, {{define}}/{{template}}, pipelines and the built-in
// functions eq, ne, and, or, not, len, index, printf...). When a notify or
// dsn template's output starts with a line "Subject: TEXT", that line
// (with the blank lines after it) becomes the message's Subject instead of
// part of its body.
//
// Variables:
//
//	.Statuses     list of statuses the text is about: "av/infected", "as/spam", "avf/filtered"...
//	.Objects      list of objects with a finding (clean and unchecked ones are left out); each has
//	              .Name (file name, may be empty), .MIME (media type), .Status (infected,
//	              suspicious, protected, error, disinfected, filtered), .Signature (what was
//	              detected, may be empty) and .Action (pass, remove, placeholder, cure)
//	.Object       placeholder templates only: the object being replaced, with the same fields
//	.Sender       envelope sender of the message; empty for the null sender <>
//	.Recipients   list of its recipients (a recipient's notice names only that recipient;
//	              a DSN names the failed recipients)
//	.Subject      its Subject, decoded, on one line
//	.Group        the policy group of the copy
//	.QueueID      its queue ID
//	.Date         when it arrived (a date; format it with date)
//	.Hostname     this gateway's name ([mailgw.network] Hostname)
//	.Postmaster   the postmaster address ([mailgw.network] Postmaster)
//	.Disposition  what happened to the copy: deliver, block, reject or tempfail
//	.Reason       why delivery failed, as an SMTP reply ("550 5.7.1 ..."; a DSN joins the distinct
//	              replies of its recipients with "; "); empty when it did not fail
//
// Functions, besides text/template's:
//
//	join SEP LIST      the items of LIST separated by SEP: {{join ", " .Recipients}}, {{.Statuses | join ", "}}
//	upper TEXT         TEXT in upper case
//	lower TEXT         TEXT in lower case
//	date LAYOUT DATE   DATE formatted with a Go layout ("2006-01-02 15:04") or one of the names
//	                   rfc5322, rfc3339, datetime, date, time: {{date "rfc5322" .Date}}, {{.Date | date "datetime"}}
//	has STATUS...      whether any STATUS is among .Statuses; names as in Notify* lists, including
//	                   as/all, av/all and all: {{if has "av/infected" "av/suspicious"}}
//
// # Checks
//
// Every template is checked when it is loaded, and each problem is
// reported as "file:line: message". text/template stops at the first
// syntax error of a file. A template that parses is then checked on every
// branch for unknown variables and fields (with a suggestion for near
// misses), .Object outside placeholder templates, unknown status names
// given to has, wrong arguments to join, upper, lower, date and has,
// calls of undefined templates, and range over anything but a list (a
// number would make text/template count up to it). Finally it is executed
// once with sample data in which every variable is set, every list has one
// element and has is true, which catches what only execution shows.
//
// # Notices
//
// Builder.Build writes complete RFC 5322 messages: From (the group's
// NotifyFromAddress), To, Subject, Date, Message-ID, MIME-Version,
// Content-Type text/plain; charset=utf-8, Auto-Submitted: auto-generated
// (RFC 3834) and X-MailGW-Notification: yes, to be sent with the null
// envelope sender <>. ShouldNotify holds the rules against backscatter and
// loops; Build applies them and returns ErrSuppressed with the reason.
//
// Builder.BuildDSN writes a multipart/report DSN (RFC 3464) with the
// rendered dsn template, a message/delivery-status part and the returned
// header (text/rfc822-headers) or, for RET=FULL, the message. It refuses a
// DSN to the null sender and one about spam, and never returns the content
// of a message with findings (a virus would go back to a forged sender).
//
// # mailgw-tlv
//
// TLVMain is the template checker (guide 6.5), run as mailgw-tlv or
// `mailgw tlv`:
//
//	mailgw-tlv [-v] [--kind KIND] TEMPLATE...
//
// It checks each file as Load would and prints "file:line: message" for
// every problem to standard error; valid files print nothing unless -v is
// given ("file: OK" on standard output). The kind of a file comes from
// --kind or from the start of its name (notify*, placeholder*, dsn*,
// disclaimer*); a file of unknown kind may use every variable. Exit codes:
//
//	0  every template is valid
//	1  at least one template has a problem
//	2  bad usage (unknown option or kind, no TEMPLATE)
//	3  at least one file could not be read (wins over 1)
package notify
