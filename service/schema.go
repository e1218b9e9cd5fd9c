package service

import (
	"strconv"

	"github.com/mailgw/mailgw/config"
)

// The sections this package owns.
const (
	NetworkSection  = "mailgw.network"
	LimitsSection   = "mailgw.limits"
	TimeoutsSection = "mailgw.timeouts"
	ArchiveSection  = "mailgw.archive"
	UpdaterSection  = "updater.options"
	ReportSection   = "updater.report"
)

// Schema describes the daemon-wide sections.
func Schema() []config.SectionSchema {
	return []config.SectionSchema{
		networkSchema(), limitsSchema(), timeoutsSchema(), archiveSchema(), updaterSchema(), reportSchema(), milterSchema(), relaySchema(),
	}
}

// intParam is an Int parameter with its range and default.
func intParam(name, unit string, min, max, def int64, doc string) config.Param {
	return config.Param{Name: name, Kind: config.Int, Unit: unit, Min: min, Max: max,
		Default: strconv.FormatInt(def, 10), Doc: doc}
}

func networkSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: NetworkSection,
		Doc:  "Where the gateway listens and how it names itself.",
		Params: []config.Param{
			{Name: "ListenOn", Kind: config.List, Comma: true, Default: "0.0.0.0:25",
				Doc: "Address and port to accept SMTP connections on, `IP:PORT` (IPv6 as `[::]:25`); repeat the key for several. Only IP addresses are accepted, not host names. An empty value (`ListenOn=`) means no SMTP listener, for a milter-only installation."},
			{Name: "Hostname", Kind: config.String, Default: "localhost",
				Doc: "Fully qualified name of this server, used in the SMTP greeting and in the DSNs and notifications it creates. " +
					"The default `localhost` only lets the embedded default configuration run on a fresh machine; set the real name in production."},
			{Name: "Postmaster", Kind: config.String, Default: "postmaster@localhost",
				Doc: "Address of the postmaster, given in DSNs and notifications. The default `postmaster@localhost` only lets the embedded default configuration run; set a real address."},
			{Name: "ProtectedDomains", Kind: config.List, Comma: true,
				Doc: "Masks of the local domains the gateway accepts mail for, e.g. `example.com` or `*.example.com` (`*`, `?`, case-insensitive); " +
					"without a matching RelayRule only these recipients (and loopback clients) may relay. Masks matching nearly every domain (`*`) are refused."},
		},
	}
}

func limitsSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: LimitsSection,
		Doc:  "Limits on load, sizes and counts, which protect the server from overload and from mail floods.",
		Params: []config.Param{
			intParam("AntiviralSessions", "", 10, 1024, 10, "Largest number of objects the anti-virus module scans at the same time."),
			intParam("IncomingSessions", "", 1, 1024, 100, "Largest number of incoming SMTP sessions served at the same time."),
			intParam("OutgoingSessions", "", 1, 1024, 20, "Largest number of outgoing SMTP sessions (deliveries) at the same time."),
			intParam("MaximalIncomingHops", "", 1, 100, 20, "Largest number of Received headers a message may carry; a message with more is refused as looping (for instance through a wrong routing table)."),
			intParam("MaximalIncomingMessageSize", "KB", 64, 204800, 10240, "Largest message accepted, in kilobytes (1 KB = 1024 bytes); it must not exceed MaximalIncomingSessionSize."),
			intParam("MaximalIncomingMessagesPerSession", "", 1, 1024, 100, "Largest number of messages accepted in one SMTP session."),
			intParam("MaximalIncomingRcptsPerMessage", "", 1, 1024, 100, "Largest number of recipients accepted for one message; further RCPT TO commands are refused."),
			intParam("MaximalIncomingSessionSize", "KB", 64, 2048000, 10240, "Largest total size of the messages of one SMTP session, in kilobytes."),
			intParam("MaximalIncomingSessionsPerIP", "", 1, 1024, 4, "Largest number of incoming sessions at the same time from one client IP address."),
			intParam("MaximalOutgoingSessionsPerHost", "", 1, 1024, 4, "Largest number of outgoing sessions at the same time to one destination host."),
			intParam("MinimalQueueFreeSpaceSize", "MB", 0, 1000000, 0, "Free space, in megabytes, the queue's file system must keep; below it new messages are refused until space is freed. 0 turns the check off."),
		},
	}
}

func timeoutsSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: TimeoutsSection,
		Doc:  "Timeouts of delivery retries, of the SMTP dialogue in both directions, of scanning and of DNS.",
		Params: []config.Param{
			intParam("MaximalBackoffTime", "seconds", 60, 64800, 21600, "Longest wait between two delivery attempts of a deferred message; it must not be below MinimalBackoffTime."),
			intParam("MinimalBackoffTime", "seconds", 64, 64800, 1800, "Shortest wait before a deferred message is tried again."),
			intParam("MaximalQueueLifetime", "days", 1, 14, 5, "How long an undeliverable message is retried; then it is removed from the queue and a DSN is sent to its sender."),
			intParam("ReadTimeout", "seconds", 1, 1200, 120, "Longest wait for one network read, in both the receiving and the sending side."),
			intParam("WriteTimeout", "seconds", 1, 1200, 120, "Longest wait for one network write, in both the receiving and the sending side."),
			intParam("ReceivingCommandTimeout", "seconds", 1, 1200, 300, "Longest wait for the client's HELO/EHLO, MAIL FROM, first RCPT TO and QUIT commands."),
			intParam("ReceivingDataInitiationTimeout", "seconds", 1, 2400, 600, "Longest wait for the client's DATA command (further RCPT TO commands must come within it too)."),
			intParam("ReceivingDataTerminationTimeout", "seconds", 1, 7200, 300, "Longest wait for the client to finish the message data with CRLF.CRLF."),
			intParam("SendingInitialTimeout", "seconds", 1, 1200, 300, "Longest wait for the remote server's greeting when delivering."),
			intParam("SendingHelloTimeout", "seconds", 1, 1200, 300, "Longest wait for the remote server's answer to HELO/EHLO."),
			intParam("SendingMailTimeout", "seconds", 1, 1200, 300, "Longest wait for the remote server's answer to MAIL FROM."),
			intParam("SendingRcptTimeout", "seconds", 1, 1200, 300, "Longest wait for the remote server's answer to each RCPT TO."),
			intParam("SendingDataInitiationTimeout", "seconds", 1, 2400, 600, "Longest wait for the remote server's answer to DATA."),
			intParam("SendingDataTerminationTimeout", "seconds", 1, 7200, 300, "Longest wait for the remote server's answer after the message data and CRLF.CRLF."),
			intParam("SendingQuitTimeout", "seconds", 1, 1200, 300, "Longest wait for the remote server's answer to QUIT."),
			intParam("ScanTimeout", "seconds", 0, 3600, 300, "Longest time the anti-virus module may spend on one object; an object that takes longer gets the error status. 0 means no limit. (Default chosen by mailgw: the reference gives none.)"),
			intParam("DNSNetworkTimeout", "seconds", 1, 1200, 10, "Longest wait for the answer to one DNS query sent to a DNS server. (Range and default chosen by mailgw.)"),
			intParam("DNSResolveTimeout", "seconds", 1, 1200, 30, "Longest total time to resolve one name, over all servers and retries; it must not be below DNSNetworkTimeout. (Range and default chosen by mailgw.)"),
			intParam("DNSCacheMaximalTTL", "seconds", 0, 259200, 43200, "Longest time a DNS answer is kept in the gateway's cache, even when its own TTL is longer; 0 turns the cache off. (Range and default chosen by mailgw.)"),
			intParam("UnreachableCacheTTL", "seconds", 0, 3600, 600, "How long a host that could not be reached is remembered and not tried again; 0 turns this off. It must be below MinimalBackoffTime, or a retry would find the host still marked unreachable. (Range and default chosen by mailgw, after the predecessor's UnreachableTTL.)"),
		},
	}
}

func archiveSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: ArchiveSection,
		Doc:  "Copies of all mail for the organisation's records. Each kind of archiving is off until its parameter is set.",
		Params: []config.Param{
			{Name: "IncomingArchivePath", Kind: config.String,
				Doc: "Absolute path of the directory receiving a copy of every incoming message, spam and infected ones included; empty turns incoming archiving off."},
			{Name: "OutgoingArchivePath", Kind: config.String,
				Doc: "Absolute path of the directory receiving a copy of every outgoing message (delivered, blocked, and the gateway's own notifications); empty turns outgoing archiving off."},
			{Name: "IncomingBcc", Kind: config.List, Comma: true,
				Doc: "Address that receives a blind carbon copy of every message as received, before scanning; repeat the key or separate addresses with commas. Empty: no copies."},
		},
	}
}

func updaterSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: UpdaterSection,
		Doc: "Settings of the database updater (the guide's keepup2date). The updater program does not exist yet: " +
			"these parameters are checked now and will be read by it.",
		Params: []config.Param{
			{Name: "KeepSilent", Kind: config.Bool, Default: "false", Doc: "When true the updater prints nothing on the console; its report still goes where [updater.report] says (useful from cron)."},
			{Name: "UpdateServerUrl", Kind: config.String, Doc: "An update source of your own: an http, https or ftp URL, or the absolute path of a local or mounted directory with the update server's file layout. Used only when UseUpdateServerUrl is true."},
			{Name: "UseUpdateServerUrl", Kind: config.Bool, Default: "false", Doc: "When true the updater tries UpdateServerUrl first, then (unless UseUpdateServerUrlOnly) the public update servers."},
			{Name: "UseUpdateServerUrlOnly", Kind: config.Bool, Default: "false", Doc: "When true the updater uses UpdateServerUrl only and never falls back to the public update servers; needs UseUpdateServerUrl=true."},
			{Name: "PostUpdateCmd", Kind: config.String, Doc: "Shell command the updater runs (with /bin/sh -c) after databases were updated, typically to make the daemon reload them; empty runs nothing. A failing command gives exit code 30."},
			{Name: "ProxyAddress", Kind: config.String, Doc: "HTTP proxy for downloads, `http://[USER:PASSWORD@]HOST:PORT` or `HOST:PORT` (Basic authentication); empty connects directly."},
			{Name: "UpdateComponentsList", Kind: config.List, Comma: true, Doc: "Components to update, comma-separated, e.g. `AVS, AVS_OLD, CORE, Updater, BLST` to leave out the anti-spam databases; empty updates every component."},
			{Name: "RetranslateComponentsList", Kind: config.List, Comma: true, Doc: "Components copied into a shared update directory when the updater retranslates (serves other servers), comma-separated; empty copies those of UpdateComponentsList."},
		},
	}
}

func reportSchema() config.SectionSchema {
	return config.SectionSchema{
		Name: ReportSection,
		Doc:  "The updater's report (log). Read by the future updater program.",
		Params: []config.Param{
			{Name: "Append", Kind: config.Bool, Default: "false", Doc: "When true the updater appends to ReportFileName, keeping a history of runs; when false it overwrites it on each run."},
			intParam("ReportLevel", "", 0, 9, 2, "Detail of the report: 0 nothing, 1 errors, 2 also warnings, 3 also progress, 4–9 increasingly detailed debugging. (Levels and default chosen by mailgw.)"),
			{Name: "ReportFileName", Kind: config.String, Doc: "Absolute path of the report file; empty sends the report to the system log."},
		},
	}
}
