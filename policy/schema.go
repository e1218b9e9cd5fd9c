package policy

import "github.com/mailgw/mailgw/config"

// engineChecks are the per-group switches that only the anti-spam engine
// reads; the core passes them through in Params.Checks.
var engineChecks = []string{
	"SpamUseDNS", "SpamCheckDNSBL", "SpamCheckHostInDNS", "SpamCheckSPF", "SpamCheckSURBL", "SpamCheckPyzor",
	"SpamHeadersToUndisclosed", "SpamHeadersFromOrToDigits", "SpamHeadersFromOrToNoDomain",
	"SpamHeadersSubjectTooLong", "SpamHeadersSubjectWSOrDots", "SpamHeadersSubjectDigitIDOrTimestamp",
	"SpamHeadersMarkAllChinese", "SpamHeadersMarkAllKorean", "SpamHeadersMarkAllThai",
	"SpamHeadersMarkAllJapanese", "SpamMarkProbable", "SpamMarkObscene", "SpamTrusted",
}

const statusListDoc = " Items: as/spam, as/probable, as/formal, as/blacklisted, as/all, av/infected, av/suspicious, av/protected, av/error, av/disinfected, avf/filtered, av/all, all, none; comma-separated and/or repeated."

func actionParam(name, def, what string) config.Param {
	return config.Param{Name: name, Kind: config.Enum, Enum: []string{"pass", "remove", "placeholder", "cure"}, Default: def,
		Doc: "What to do with an object whose status is " + what + ": pass it unchanged, remove it, or replace it with a placeholder text part. cure is allowed only for ActionDisinfected."}
}

func boolParam(name, def, doc string) config.Param {
	return config.Param{Name: name, Kind: config.Bool, Default: def, Doc: doc}
}

func listParam(name, doc string) config.Param {
	return config.Param{Name: name, Kind: config.List, Comma: true, Doc: doc}
}

// groupParams are the parameters valid both in [mailgw.policy] and in every
// [mailgw.group:NAME].
func groupParams() []config.Param {
	ps := []config.Param{
		{Name: "CheckSpam", Kind: config.Bool, Default: "true", Aliases: []string{"CheckSpams"},
			Doc: "Run the anti-spam check. The guide's example 5.2.7 spells it CheckSpams."},
		boolParam("CheckAV", "true", "Run the anti-virus check on every object of the message."),
		boolParam("AVCure", "false", "Ask the anti-virus engine to disinfect infected objects; a cured object gets the disinfected status."),
		boolParam("AVScanArchives", "true", "Look inside archives attached to messages."),
		boolParam("AVScanMailBases", "true", "Look inside attached mail bases (mbox files, .eml messages)."),
		{Name: "SpamRateLimit", Kind: config.Enum, Default: "standard", Aliases: []string{"SpamDetection"},
			Enum: []string{"minimum", "standard", "high", "maximum", "soft", "hard"},
			Doc:  "Anti-spam filtering intensity: the higher, the fewer signs make a message spam. The older SpamDetection=soft|standard|hard is read as minimum|standard|high."},
		{Name: "SpamCheckSizeLimit", Kind: config.Int, Default: "1024", Min: 0, Max: 204800, Unit: "KB",
			Doc: "Messages larger than this skip content analysis (formal signs and DNS checks still run); 0 means no limit."},
		listParam("MarkSubject", "Anti-spam statuses whose subject gets a mark: spam, probable, formal, blacklisted (with or without the as/ prefix), all or none."),
		{Name: "SubjectMarkSpam", Kind: config.String, Default: "[!!SPAM]", Doc: "Subject mark for spam."},
		{Name: "SubjectMarkProbable", Kind: config.String, Default: "[?? Probable Spam]", Doc: "Subject mark for probable spam."},
		{Name: "SubjectMarkFormal", Kind: config.String, Default: "[!! Formal]", Doc: "Subject mark for formal (automatically generated) messages."},
		{Name: "SubjectMarkBlacklisted", Kind: config.String, Default: "[!! Blacklisted]", Doc: "Subject mark for blacklisted senders."},
		actionParam("ActionInfected", "remove", "infected"),
		actionParam("ActionSuspicious", "remove", "suspicious"),
		actionParam("ActionProtected", "remove", "protected (password-protected archive)"),
		actionParam("ActionError", "remove", "error (damaged or unscannable)"),
		actionParam("ActionFiltered", "remove", "filtered (caught by IncludeBy*/ExcludeBy*)"),
		actionParam("ActionDisinfected", "cure", "disinfected; cure puts the cleaned object in place of the original"),
		listParam("BlockMessage", "Statuses that stop delivery of the message copy."+statusListDoc),
		listParam("QuarantineMessage", "Statuses that put a copy of the original message in quarantine; delivery is not affected unless BlockMessage also matches."+statusListDoc),
		listParam("NotifyAdmin", "Statuses that send a notification to AdminNotifyAddress."+statusListDoc),
		listParam("NotifyRecipient", "Statuses that send a notification to the recipients of the copy."+statusListDoc),
		listParam("NotifySender", "Statuses that send a notification to the envelope sender. Anti-spam statuses never notify the sender (no backscatter)."+statusListDoc),
		listParam("IncludeByName", "File-name masks (* and ?): attachments whose name matches get the filtered status. Accepts file: lists."),
		listParam("ExcludeByName", "File-name masks: when set, attachments whose name matches none of them (nor ExcludeByMime) get the filtered status."),
		listParam("IncludeByMime", "MIME type masks such as application/x-msdownload or image/*: matching attachments get the filtered status."),
		listParam("ExcludeByMime", "MIME type masks: when set, attachments matching none of them (nor ExcludeByName) get the filtered status."),
		{Name: "AVQuarantinePath", Kind: config.String, Default: "/var/lib/mailgw/quarantine/av", Doc: "Directory of the anti-virus quarantine."},
		{Name: "ASQuarantinePath", Kind: config.String, Default: "/var/lib/mailgw/quarantine/as", Doc: "Directory of the anti-spam quarantine."},
		{Name: "AdminNotifyAddress", Kind: config.String, Default: "postmaster@localhost", Doc: "Where administrator notifications go."},
		{Name: "NotifyFromAddress", Kind: config.String, Default: "mailgw@localhost", Doc: "Sender address of notifications."},
		{Name: "BlockReply", Kind: config.String, Default: "",
			Doc: "SMTP reply for a blocked message, e.g. \"550 5.7.1 Message refused by policy\". Empty: a blocked message is accepted and dropped (the milter discards it). Front-ends that scan before replying reject with it."},
		boolParam("AddDisclaimer", "false", "Append the disclaimer (informational text) to the body of every delivered copy, in its text and HTML parts (guide 6.12)."),
		{Name: "DisclaimerTemplate", Kind: config.String,
			Doc: "Template file of this group's disclaimer (absolute path); empty: DisclaimerTemplate of [mailgw.templates], else the built-in text. Checked when the configuration loads."},
		{Name: "FailureAction", Kind: config.Enum, Default: "tempfail", Enum: []string{"tempfail", "accept"},
			Doc: "When a check fails (engine outage, timeout, internal error): tempfail asks the client to retry later; accept delivers the message marked as not checked."},
	}
	return append(ps, checkParams()...)
}

func checkParams() []config.Param {
	doc := map[string]string{
		"SpamUseDNS":                           "Master switch of every network anti-spam check: the DNS-based ones and the Pyzor digest check.",
		"SpamCheckDNSBL":                       "Look the sender's IP (and the relays of Received headers) up in the DNSBlackList services.",
		"SpamCheckHostInDNS":                   "Require forward-confirmed reverse DNS for the client IP.",
		"SpamCheckSPF":                         "Check the envelope sender against its domain's SPF policy.",
		"SpamCheckSURBL":                       "Look the domains of links in the text up in SURBL/URIBL-style zones.",
		"SpamCheckPyzor":                       "Ask the PyzorServer of [mailgw.antispam] how often the digest of the body was reported as spam (the guide's UDS check, 4.3.4); only the digest is sent. Needs SpamUseDNS too; skipped above SpamCheckSizeLimit.",
		"SpamHeadersToUndisclosed":             "Count an \"undisclosed recipients\" To header as a spam sign.",
		"SpamHeadersFromOrToDigits":            "Count long digit groups in From/To addresses as a spam sign.",
		"SpamHeadersFromOrToNoDomain":          "Count a From/To address without a domain as a spam sign.",
		"SpamHeadersSubjectTooLong":            "Count a very long Subject as a spam sign.",
		"SpamHeadersSubjectWSOrDots":           "Count runs of spaces or dots in the Subject as a spam sign.",
		"SpamHeadersSubjectDigitIDOrTimestamp": "Count a numeric id or time stamp at the end of the Subject as a spam sign.",
		"SpamHeadersMarkAllChinese":            "Treat Chinese text in headers as a spam sign.",
		"SpamHeadersMarkAllKorean":             "Treat Korean text in headers as a spam sign.",
		"SpamHeadersMarkAllThai":               "Treat Thai text in headers as a spam sign.",
		"SpamHeadersMarkAllJapanese":           "Treat Japanese text in headers as a spam sign.",
		"SpamMarkProbable":                     "Report the probable-spam category (when false, probable spam is reported as not_detected).",
		"SpamMarkObscene":                      "Look for obscene words (a built-in list) and report them as the rule OBSCENE_TEXT in X-SpamTest-Info, adding its score.",
		"SpamTrusted":                          "The group is a white list (guide 5.2.3): its mail gets the trusted status without any check, and its X-SpamTest headers say so.",
	}
	defOff := map[string]bool{"SpamHeadersMarkAllChinese": true, "SpamHeadersMarkAllKorean": true,
		"SpamHeadersMarkAllThai": true, "SpamHeadersMarkAllJapanese": true, "SpamMarkObscene": true, "SpamTrusted": true}
	var ps []config.Param
	for _, name := range engineChecks {
		def := "true"
		if defOff[name] {
			def = "false"
		}
		ps = append(ps, boolParam(name, def, doc[name]+" Read by the anti-spam engine."))
	}
	return ps
}

// Schema returns the sections this package owns: [mailgw.policy], every
// [mailgw.group:NAME] and every [mailgw.netlist:NAME].
func Schema() []config.SectionSchema {
	group := append([]config.Param{
		listParam("Senders", "Who sends mail of this group: address masks (* and ?), ip A.B.C.D, ip A.B.C.D/NN, ip A.B.C.D/M.M.M.M, ip IPv6[/NN], host NAME or host *.domain (the client's forward-confirmed reverse name), network NAME (a [mailgw.netlist:NAME] section). Absent: everyone. Present but empty: the group never matches."),
		listParam("Recipients", "Recipient address masks (* and ?). Absent: everyone. Present but empty: the group never matches."),
	}, groupParams()...)
	// Senders and Recipients items may hold spaces ("ip 10.0.0.0/8") but never commas.
	return []config.SectionSchema{
		{Name: PolicySection, Required: true, Params: groupParams(),
			Doc: "The default group: rules for every message copy whose sender/recipient pair matches no [mailgw.group:NAME]. Every group parameter not set in a group is taken from here."},
		{Name: GroupPrefix + "*", Inherit: PolicySection, Params: group,
			Doc: "A policy group. The first group, in file order, whose Senders and Recipients both match a (sender, recipient) pair handles that recipient; a message whose recipients fall into several groups is processed as one copy per group. At least one of Senders and Recipients must be written."},
		{Name: NetlistPrefix + "*", Params: []config.Param{
			listParam("Network", "Members of the list, named by Senders=network NAME: A.B.C.D, A.B.C.D/NN, A.B.C.D/M.M.M.M, IPv6 or IPv6/NN. Accepts file: lists."),
		}, Doc: "A named list of networks for Senders=network NAME."},
	}
}
