package antispam

// RuleDef is one row of the rules table: a rule's name, the score it adds
// by default, the method it belongs to (X-SpamTest-Method) and what it
// means. [mailgw.antispam] RuleScore overrides the score.
type RuleDef struct {
	Name   string
	Score  float64
	Method string
	Doc    string
}

// Methods, as written to X-SpamTest-Method.
const (
	MethodTest    = "gtube"
	MethodHeaders = "headers"
	MethodFormal  = "formal"
	MethodContent = "content"
	MethodDNS     = "dns"
	MethodDNSBL   = "dnsbl"
	MethodSPF     = "spf"
	MethodSURBL   = "surbl"
	MethodDigest  = "digest"
	MethodFuzzy   = "fuzzy" // fuzzy comparison with sample messages (guide 4.3.2)
	MethodImage   = "image" // analysis of attached images (guide 4.3.2)
	// MethodTrusted: the group is a white list (SpamTrusted), so no check ran.
	MethodTrusted = "trusted"
)

// Rule names. They are stable: administrators override their scores and
// filter on them in X-SpamTest-Info.
const (
	RuleGTUBE = "GTUBE"

	RuleToUndisclosed   = "TO_UNDISCLOSED"
	RuleFromDigits      = "FROM_DIGITS"
	RuleToDigits        = "TO_DIGITS"
	RuleFromNoDomain    = "FROM_NO_DOMAIN"
	RuleToNoDomain      = "TO_NO_DOMAIN"
	RuleSubjectTooLong  = "SUBJECT_TOO_LONG"
	RuleSubjectWSOrDots = "SUBJECT_WS_OR_DOTS"
	RuleSubjectDigitID  = "SUBJECT_DIGIT_ID"
	RuleChinese         = "HEADERS_CHINESE"
	RuleKorean          = "HEADERS_KOREAN"
	RuleThai            = "HEADERS_THAI"
	RuleJapanese        = "HEADERS_JAPANESE"

	RuleNoFrom         = "NO_FROM"
	RuleNoDate         = "NO_DATE"
	RuleNoMessageID    = "NO_MESSAGE_ID"
	RuleNoSubject      = "NO_SUBJECT"
	RuleHTMLOnly       = "HTML_ONLY"
	RuleNoText         = "NO_TEXT"
	RuleImageOnly      = "IMAGE_ONLY"
	RuleTinyMessage    = "TINY_MESSAGE"
	RuleManyHops       = "RECEIVED_MANY_HOPS"
	RuleFromMismatch   = "ENVELOPE_FROM_MISMATCH"
	RuleRcptNotInHdr   = "RCPT_NOT_IN_HEADERS"
	RuleNullSenderUser = "NULL_SENDER_NOT_REPORT"

	RuleDateInFuture       = "DATE_IN_FUTURE"
	RuleSubjectAllCaps     = "SUBJECT_ALL_CAPS"
	RuleMessageIDMalformed = "MESSAGE_ID_MALFORMED"
	RuleBase64ASCII        = "TEXT_BASE64_ASCII"
	RuleFromNoName         = "FROM_NO_NAME"
	RulePriorityHigh       = "PRIORITY_HIGH"
	RuleSubjectMoney       = "SUBJECT_MONEY"
	RuleExclamationRun     = "EXCLAMATION_RUN"
	RuleDateBadZone        = "DATE_BAD_ZONE"
	RuleURLIP              = "URL_IP"

	RuleAutoSubmitted = "AUTO_SUBMITTED"
	RuleDSN           = "DSN"
	RuleMDN           = "MDN"
	RulePrecedence    = "PRECEDENCE_BULK"

	RuleHTMLHidden     = "HTML_HIDDEN_TEXT"
	RuleHTMLObfuscated = "HTML_OBFUSCATED"
	RuleBayes999       = "BAYES_999"
	RuleBayes99        = "BAYES_99"
	RuleBayes90        = "BAYES_90"
	RuleBayes70        = "BAYES_70"
	RuleBayes30        = "BAYES_30"
	RuleBayes10        = "BAYES_10"
	RuleBayes01        = "BAYES_01"
	RuleBayesTempfail  = "BAYES_TEMPFAIL"
	RuleSizeSkipped    = "CONTENT_SKIPPED_SIZE"
	RuleFuzzySample    = "FUZZY_SAMPLE"
	RuleSpamTerms      = "SPAM_TERMS"
	RuleObscene        = "OBSCENE_TEXT"
	RuleImageSample    = "IMAGE_SAMPLE"

	RuleRDNSNone      = "RDNS_NONE"
	RuleRDNSMismatch  = "RDNS_NOT_CONFIRMED"
	RuleDNSBL         = "DNSBL_LISTED"
	RuleRelayDNSBL    = "RELAY_DNSBL_LISTED"
	RuleSPFFail       = "SPF_FAIL"
	RuleSPFSoftFail   = "SPF_SOFTFAIL"
	RuleSPFPass       = "SPF_PASS"
	RuleSURBL         = "SURBL_LISTED"
	RuleDNSTempfail   = "DNS_TEMPFAIL"
	RulePyzor         = "PYZOR_LISTED"
	RulePyzorTempfail = "PYZOR_TEMPFAIL"
)

// DefaultRules is the rules table with the default scores. The DNSBL and
// SURBL rules score per 100 points of summed rating: a client listed by
// zones rated 50 in all gets half the score; for the client, 100 or more
// also makes the message blacklisted whatever the score.
func DefaultRules() []RuleDef {
	return []RuleDef{
		{RuleGTUBE, 1000, MethodTest, "the message holds the GTUBE anti-spam test string"},

		{RuleToUndisclosed, 1.5, MethodHeaders, "To names \"undisclosed recipients\" (SpamHeadersToUndisclosed)"},
		{RuleFromDigits, 1.2, MethodHeaders, "the From address has a long group of digits (SpamHeadersFromOrToDigits)"},
		{RuleToDigits, 0.8, MethodHeaders, "a To address has a long group of digits (SpamHeadersFromOrToDigits)"},
		{RuleFromNoDomain, 2.5, MethodHeaders, "the From address has no domain (SpamHeadersFromOrToNoDomain)"},
		{RuleToNoDomain, 1.5, MethodHeaders, "a To address has no domain (SpamHeadersFromOrToNoDomain)"},
		{RuleSubjectTooLong, 1.0, MethodHeaders, "the Subject is longer than 120 characters (SpamHeadersSubjectTooLong)"},
		{RuleSubjectWSOrDots, 1.5, MethodHeaders, "the Subject has runs of spaces or dots (SpamHeadersSubjectWSOrDots)"},
		{RuleSubjectDigitID, 1.5, MethodHeaders, "the Subject ends in a numeric id or time stamp (SpamHeadersSubjectDigitIDOrTimestamp)"},
		{RuleChinese, 6, MethodHeaders, "Chinese text in Subject or From (SpamHeadersMarkAllChinese)"},
		{RuleKorean, 6, MethodHeaders, "Korean text in Subject or From (SpamHeadersMarkAllKorean)"},
		{RuleThai, 6, MethodHeaders, "Thai text in Subject or From (SpamHeadersMarkAllThai)"},
		{RuleJapanese, 6, MethodHeaders, "Japanese text in Subject or From (SpamHeadersMarkAllJapanese)"},

		{RuleNoFrom, 2.0, MethodHeaders, "no From header"},
		{RuleNoDate, 1.0, MethodHeaders, "no Date header"},
		{RuleNoMessageID, 1.0, MethodHeaders, "no Message-ID header"},
		{RuleNoSubject, 0.5, MethodHeaders, "no or an empty Subject"},
		{RuleHTMLOnly, 0.5, MethodHeaders, "HTML without a plain-text alternative"},
		{RuleNoText, 1.0, MethodHeaders, "no text at all besides attachments"},
		{RuleImageOnly, 1.5, MethodHeaders, "images with (almost) no text"},
		{RuleTinyMessage, 0.3, MethodHeaders, "a body of under 20 characters"},
		{RuleManyHops, 1.0, MethodHeaders, "more than 15 Received headers"},
		{RuleFromMismatch, 0.3, MethodHeaders, "the envelope sender's domain differs from the From domain"},
		{RuleRcptNotInHdr, 0.3, MethodHeaders, "no envelope recipient appears in To or Cc"},
		{RuleNullSenderUser, 1.0, MethodHeaders, "null envelope sender but no delivery report or auto-reply"},
		{RuleDateInFuture, 2.0, MethodHeaders, "the Date field is more than 3 hours after the newest Received time stamp"},
		{RuleSubjectAllCaps, 1.0, MethodHeaders, "the Subject has 10 or more letters, all capitals"},
		{RuleMessageIDMalformed, 1.0, MethodHeaders, "the Message-ID is not one <left@right> (RFC 5322 3.6.4)"},
		{RuleBase64ASCII, 1.0, MethodHeaders, "a text part in base64 that holds only 7-bit characters"},
		{RuleFromNoName, 0.5, MethodHeaders, "the From address has no display name"},
		{RulePriorityHigh, 1.0, MethodHeaders, "X-Priority 1 or 2, or X-MSMail-Priority: High"},
		{RuleSubjectMoney, 1.0, MethodHeaders, "a dollar amount in the Subject"},
		{RuleDateBadZone, 1.5, MethodHeaders, "the Date field has a numeric zone outside -1200 to +1400 (RFC 5322 3.3)"},
		{RuleURLIP, 1.0, MethodContent, "a link to a bare IP address"},
		{RuleExclamationRun, 1.0, MethodContent, "three or more exclamation marks in a row in the Subject or the text"},

		{RuleAutoSubmitted, 0, MethodFormal, "Auto-Submitted other than no (RFC 3834)"},
		{RuleDSN, 0, MethodFormal, "a delivery status notification (RFC 3464)"},
		{RuleMDN, 0, MethodFormal, "a message disposition notification (RFC 8098)"},
		{RulePrecedence, 0, MethodFormal, "Precedence bulk, list or junk"},

		{RuleHTMLHidden, 1.0, MethodContent, "HTML text hidden from the reader (display:none, tiny or invisible font)"},
		{RuleHTMLObfuscated, 1.0, MethodContent, "words broken up by entities or markup to hide them from filters"},
		{RuleBayes999, 8, MethodContent, "Bayesian spam probability at least 0.999"},
		{RuleBayes99, 6, MethodContent, "Bayesian spam probability 0.99-0.999"},
		{RuleBayes90, 4.5, MethodContent, "Bayesian spam probability 0.90-0.99"},
		{RuleBayes70, 1.5, MethodContent, "Bayesian spam probability 0.70-0.90"},
		{RuleBayes30, 0, MethodContent, "Bayesian spam probability 0.10-0.30"},
		{RuleBayes10, -1, MethodContent, "Bayesian spam probability 0.01-0.10"},
		{RuleBayes01, -2.5, MethodContent, "Bayesian spam probability under 0.01"},
		{RuleBayesTempfail, 0, MethodContent, "the Bayes store did not answer; content not scored"},
		{RuleSizeSkipped, 0, MethodContent, "larger than SpamCheckSizeLimit; content not analysed"},
		{RuleFuzzySample, 5, MethodFuzzy, "the text is a (modified) copy of a known spam sample: similarity at least FuzzyThreshold"},
		{RuleSpamTerms, 1, MethodContent, "typical spam phrases (TermFiles); per point of their summed weight, at most TermsMaxWeight points"},
		{RuleImageSample, 4, MethodImage, "an attached image looks like a known spam image: at most ImageMaxDistance bits apart"},

		{RuleRDNSNone, 1.0, MethodDNS, "the client IP has no reverse DNS name (SpamCheckHostInDNS)"},
		{RuleRDNSMismatch, 0.8, MethodDNS, "the reverse name does not resolve back to the client IP (SpamCheckHostInDNS)"},
		{RuleDNSBL, 5, MethodDNSBL, "the client IP is listed by DNSBlackList zones; per 100 rating points (SpamCheckDNSBL)"},
		{RuleRelayDNSBL, 3, MethodDNSBL, "a Received relay IP is listed by DNSBlackList zones; per 100 rating points (SpamCheckDNSBL)"},
		{RuleSPFFail, 3, MethodSPF, "SPF fail for the envelope sender (SpamCheckSPF)"},
		{RuleSPFSoftFail, 1, MethodSPF, "SPF softfail for the envelope sender (SpamCheckSPF)"},
		{RuleSPFPass, -0.5, MethodSPF, "SPF pass for the envelope sender (SpamCheckSPF)"},
		{RuleSURBL, 5, MethodSURBL, "a domain or IP of a link is listed by URIBlackList zones; per 100 rating points (SpamCheckSURBL)"},
		{RuleDNSTempfail, 0, MethodDNS, "a DNS check could not be done (timeout or server failure)"},
		{RulePyzor, 5, MethodDigest, "the Pyzor server reports the digest as spam"},
		{RuleObscene, 1, MethodContent, "the subject or text uses several obscene words (SpamMarkObscene)"},
		{RulePyzorTempfail, 0, MethodDigest, "the Pyzor server did not answer"},
	}
}
