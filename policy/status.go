package policy

import (
	"fmt"
	"strings"
)

// ASStatus is the anti-spam verdict on a whole message (guide 4.3.5).
type ASStatus string

// Anti-spam statuses. NotChecked is ours: CheckSpam=false, the message was
// too large for content analysis, or the check failed under FailureAction=accept.
const (
	ASSpam        ASStatus = "spam"
	ASProbable    ASStatus = "probable"
	ASFormal      ASStatus = "formal"
	ASBlacklisted ASStatus = "blacklisted"
	ASNotDetected ASStatus = "not_detected"
	ASTrusted     ASStatus = "trusted"
	ASNotChecked  ASStatus = "not_checked"
)

// AVStatus is the anti-virus verdict on one object (guide 4.4), plus
// Filtered for objects caught by the name/MIME filter.
type AVStatus string

// Anti-virus statuses.
const (
	AVClean       AVStatus = "clean"
	AVInfected    AVStatus = "infected"
	AVDisinfected AVStatus = "disinfected"
	AVSuspicious  AVStatus = "suspicious"
	AVProtected   AVStatus = "protected"
	AVError       AVStatus = "error"
	AVNotChecked  AVStatus = "not_checked"
	AVFiltered    AVStatus = "filtered"
)

// avSeverity orders object statuses from harmless to worst, so that the
// message-level AV header names the worst one.
var avSeverity = map[AVStatus]int{
	AVNotChecked: 0, AVClean: 1, AVFiltered: 2, AVDisinfected: 3,
	AVError: 4, AVProtected: 5, AVSuspicious: 6, AVInfected: 7,
}

// Worse reports whether a is worse than b.
func Worse(a, b AVStatus) bool { return avSeverity[a] > avSeverity[b] }

// Flag is one message-level status as written in BlockMessage,
// QuarantineMessage and Notify* lists: "as/spam", "av/infected", "avf/filtered".
type Flag uint16

// Flags, one bit each so that a list is a bit set.
const (
	FlagSpam Flag = 1 << iota
	FlagProbable
	FlagFormal
	FlagBlacklisted
	FlagInfected
	FlagSuspicious
	FlagProtected
	FlagError
	FlagDisinfected
	FlagFiltered

	FlagsAS  = FlagSpam | FlagProbable | FlagFormal | FlagBlacklisted
	FlagsAV  = FlagInfected | FlagSuspicious | FlagProtected | FlagError | FlagDisinfected | FlagFiltered
	FlagsAll = FlagsAS | FlagsAV
)

var flagNames = []struct {
	flag Flag
	name string
}{
	{FlagSpam, "as/spam"}, {FlagProbable, "as/probable"}, {FlagFormal, "as/formal"},
	{FlagBlacklisted, "as/blacklisted"}, {FlagInfected, "av/infected"},
	{FlagSuspicious, "av/suspicious"}, {FlagProtected, "av/protected"},
	{FlagError, "av/error"}, {FlagDisinfected, "av/disinfected"}, {FlagFiltered, "avf/filtered"},
}

// Names lists the flags in s in a fixed order.
func (s Flag) Names() []string {
	var out []string
	for _, f := range flagNames {
		if s&f.flag != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

func (s Flag) String() string { return strings.Join(s.Names(), ",") }

// ParseFlag parses one item of a status list. Besides the names above it
// accepts "as/all", "av/all", "all", "none", and "av/filtered" (the guide's
// example 5.4.1 spells the filter status that way).
func ParseFlag(item string) (Flag, error) {
	item = strings.ToLower(strings.TrimSpace(item))
	switch item {
	case "all":
		return FlagsAll, nil
	case "none", "":
		return 0, nil
	case "as/all":
		return FlagsAS, nil
	case "av/all":
		return FlagsAV, nil
	case "av/filtered":
		return FlagFiltered, nil
	}
	for _, f := range flagNames {
		if f.name == item {
			return f.flag, nil
		}
	}
	return 0, fmt.Errorf("unknown status %q (want as/spam, as/probable, as/formal, as/blacklisted, as/all, av/infected, av/suspicious, av/protected, av/error, av/disinfected, avf/filtered, av/all, all or none)", item)
}

// ASFlag maps an anti-spam status to its flag; 0 for statuses that no list
// can name (not_detected, trusted, not_checked).
func ASFlag(s ASStatus) Flag {
	switch s {
	case ASSpam:
		return FlagSpam
	case ASProbable:
		return FlagProbable
	case ASFormal:
		return FlagFormal
	case ASBlacklisted:
		return FlagBlacklisted
	}
	return 0
}

// AVFlag maps an object status to its flag; 0 for clean and not_checked.
func AVFlag(s AVStatus) Flag {
	switch s {
	case AVInfected:
		return FlagInfected
	case AVSuspicious:
		return FlagSuspicious
	case AVProtected:
		return FlagProtected
	case AVError:
		return FlagError
	case AVDisinfected:
		return FlagDisinfected
	case AVFiltered:
		return FlagFiltered
	}
	return 0
}

// Action is what happens to one object (guide 4.4).
type Action string

// Object actions.
const (
	ActPass        Action = "pass"
	ActRemove      Action = "remove"
	ActPlaceholder Action = "placeholder"
	ActCure        Action = "cure"
)
