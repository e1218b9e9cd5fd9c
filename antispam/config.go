package antispam

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/config"
)

// Section is the daemon-wide anti-spam section owned by this package.
const Section = "mailgw.antispam"

// Rate limits (SpamRateLimit), lowest to highest intensity.
var levels = []string{"minimum", "standard", "high", "maximum"}

// Threshold is the score from which a message is probable spam and spam
// at one SpamRateLimit.
type Threshold struct {
	Probable, Spam float64
}

// Settings is [mailgw.antispam]: the scores, the thresholds and the
// backends. Which checks run for a copy is a group parameter (Params.Checks).
type Settings struct {
	Thresholds   map[string]Threshold // by SpamRateLimit
	Scores       map[string]float64   // by rule name: the table with RuleScore applied
	URIBL        []access.DNSBL       // URIBlackList; same syntax as DNSBlackList
	Resolver     string               // host:port of the DNS server; "" for /etc/resolv.conf
	BayesStore   string               // bbolt | redis | none
	BayesPath    string
	RedisAddress string
	RedisPrefix  string
	BayesMinimum int           // trained messages of each class before Bayes scores
	BayesBuiltin bool          // count the built-in model (package defaultdb) under the store's
	PyzorServer  string        // host:port; "" turns the digest check off
	PyzorMinimum int           // spam reports from which the digest counts as listed
	PyzorTimeout time.Duration // one check, over all its attempts
	// FuzzySamples and ImageSamples are the sample files of the fuzzy
	// and the image check: absolute paths, or Builtin for the embedded
	// samples. The gateway loads them.
	FuzzySamples     []config.Value
	ImageSamples     []config.Value
	FuzzyThreshold   float64 // similarity, 0-1, from which FUZZY_SAMPLE fires
	ImageMaxDistance int     // Hamming distance, 0-64, up to which IMAGE_SAMPLE fires
	// TermFiles are the phrase databases of SPAM_TERMS, as FuzzySamples;
	// TermsMaxWeight is the most summed phrase weight that scores.
	TermFiles      []config.Value
	TermsMaxWeight float64
}

// Builtin in FuzzySamples, ImageSamples or TermFiles stands for the data
// embedded in the program.
const Builtin = "builtin"

// Schema describes [mailgw.antispam].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{Name: Section,
		Doc: "The anti-spam engine: rule scores, the thresholds of each SpamRateLimit, DNS, the Bayes store, the Pyzor server, the sample files of the fuzzy and image checks and the phrase databases. Which checks run is set per group (SpamUseDNS, SpamCheck*, SpamHeaders*); the rules and their default scores are listed at the end of docs/configuration.md.",
		Params: []config.Param{
			{Name: "Thresholds", Kind: config.List, Comma: true,
				Default: "minimum 7 12, standard 5 8, high 4 6, maximum 3 4.5",
				Doc:     "`LEVEL PROBABLE SPAM` for each SpamRateLimit level: the score from which a message is probable spam and spam. A level not written keeps its default."},
			{Name: "RuleScore", Kind: config.List, Comma: true,
				Doc: "`RULE SCORE` overrides the default score of one rule of docs/antispam.md, e.g. `SUBJECT_TOO_LONG 0`; 0 keeps the rule as information only."},
			{Name: "URIBlackList", Kind: config.List, Comma: true,
				Doc: "SURBL/URIBL-style zones for SpamCheckSURBL, `ZONE[:RATING]` or `ZONE RATING` as for DNSBlackList, e.g. `multi.surbl.org:100`. The registered domain of every link (and the address of IP-literal links) is looked up. Empty: the check finds nothing."},
			{Name: "Resolver", Kind: config.String,
				Doc: "DNS server for the anti-spam DNS checks, `host:port` or `host` (port 53). Empty: the first nameserver of /etc/resolv.conf. Timeouts and the cache follow [mailgw.timeouts] DNS*."},
			{Name: "BayesStore", Kind: config.Enum, Default: "bbolt", Enum: []string{"bbolt", "redis", "none"},
				Doc: "Where the Bayesian classifier keeps its token counts: bbolt (a file, BayesPath; one gateway), redis (RedisAddress; shared by several gateways) or none."},
			{Name: "BayesPath", Kind: config.String, Default: "/var/lib/mailgw/bayes.db",
				Doc: "The bbolt file of BayesStore=bbolt, written by `mailgw learn`. A missing file means an untrained classifier, which scores nothing. The daemons keep it open; `mailgw learn` learns into a copy (PATH.new, with PATH.lock against a second run at once) and renames it into place, so it runs while the daemons do and they read the new file from the next message on. The directory must be writable for `mailgw learn`."},
			{Name: "RedisAddress", Kind: config.String, Default: "127.0.0.1:6379", Doc: "The Redis server of BayesStore=redis, host:port."},
			{Name: "RedisKeyPrefix", Kind: config.String, Default: "mailgw:bayes:", Doc: "Prefix of the Redis keys, so that several classifiers can share one server."},
			{Name: "BayesMinLearned", Kind: config.Int, Default: "20", Min: 1, Max: 1000000,
				Doc: "Spam and ham messages each that must have been learnt before the classifier scores."},
			{Name: "BayesBuiltinModel", Kind: config.Bool, Default: "true",
				Doc: "Add the built-in model, learnt from the project's own sample messages, to the counts of BayesStore, so that the classifier works before anything was learnt here. false: only what was learnt here counts."},
			{Name: "PyzorServer", Kind: config.String,
				Doc: "Pyzor server for the digest check of groups with SpamCheckPyzor and SpamUseDNS, `host:port` (UDP), e.g. public.pyzor.org:24441; a name is resolved like the DNS checks' queries (Resolver, [mailgw.timeouts] DNS*). Only the digest of the body is sent, computed as pyzor 1.0.0 computes it, as the anonymous user. A listed digest fires PYZOR_LISTED; a server that does not answer within PyzorTimeout, or answers with an error, fires PYZOR_TEMPFAIL (default score 0; logged) and the message is scored without it. Empty: no digest check."},
			{Name: "PyzorMinCount", Kind: config.Int, Default: "3", Min: 1, Max: 1000000,
				Doc: "Spam reports of a digest (minus whitelist entries) from which the message counts as listed."},
			{Name: "PyzorTimeout", Kind: config.Int, Unit: "seconds", Default: "5", Min: 1, Max: 60,
				Doc: "Longest wait for the Pyzor server's answer about one message; the request is sent up to three times within it, as UDP may lose it. It runs beside the DNS checks, so the two timeouts do not add up. (Default: the pyzor client's.)"},
			{Name: "FuzzySamples", Kind: config.List, Default: Builtin,
				Doc: "Sample files of the fuzzy check (FUZZY_SAMPLE), one a value: an absolute path, or `builtin` for the synthetic samples embedded in the program. `mailgw sample --add` appends to the last path. Format: docs/antispam.md. An empty value: no fuzzy check."},
			{Name: "FuzzyThreshold", Kind: config.Int, Default: "40", Min: 1, Max: 100, Unit: "%",
				Doc: "Estimated share of word shingles a message must have in common with a sample for FUZZY_SAMPLE."},
			{Name: "ImageSamples", Kind: config.List, Default: Builtin,
				Doc: "Known spam image files of the image check (IMAGE_SAMPLE), as FuzzySamples: absolute paths or `builtin`. Format: docs/antispam.md. An empty value: no image check."},
			{Name: "TermFiles", Kind: config.List, Default: Builtin,
				Doc: "Phrase databases of the phrase check (SPAM_TERMS), one a value: an absolute path, or `builtin` for the phrases embedded in the program. All are merged. Format: docs/antispam.md. An empty value: no phrase check."},
			{Name: "TermsMaxWeight", Kind: config.Int, Default: "3", Min: 1, Max: 100,
				Doc: "The most summed weight of the phrases found that SPAM_TERMS scores (its score is per point of weight): many phrases of a long advertisement must not outweigh everything else."},
			{Name: "ImageMaxDistance", Kind: config.Int, Default: "8", Min: 0, Max: 32,
				Doc: "The most bits (of 64) in which the perceptual hash of an attached image may differ from a known one for IMAGE_SAMPLE."},
		}}}
}

// FromConfig reads [mailgw.antispam].
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	var errs config.ErrorList
	s := Settings{
		Resolver:     strings.TrimSpace(c.String(Section, "Resolver")),
		BayesStore:   c.String(Section, "BayesStore"),
		BayesPath:    c.String(Section, "BayesPath"),
		RedisAddress: c.String(Section, "RedisAddress"),
		RedisPrefix:  c.String(Section, "RedisKeyPrefix"),
		BayesMinimum: int(c.Int(Section, "BayesMinLearned")),
		BayesBuiltin: c.Bool(Section, "BayesBuiltinModel"),
		PyzorServer:  strings.TrimSpace(c.String(Section, "PyzorServer")),
		PyzorMinimum: int(c.Int(Section, "PyzorMinCount")),
		PyzorTimeout: time.Duration(c.Int(Section, "PyzorTimeout")) * time.Second,
		Scores:       DefaultScores(),
		Thresholds:   DefaultThresholds(),

		FuzzyThreshold:   float64(c.Int(Section, "FuzzyThreshold")) / 100,
		ImageMaxDistance: int(c.Int(Section, "ImageMaxDistance")),
		TermsMaxWeight:   float64(c.Int(Section, "TermsMaxWeight")),
	}
	s.FuzzySamples, errs = sampleFiles(c, "FuzzySamples", errs)
	s.ImageSamples, errs = sampleFiles(c, "ImageSamples", errs)
	s.TermFiles, errs = sampleFiles(c, "TermFiles", errs)
	for _, v := range c.List(Section, "Thresholds") {
		if err := parseThreshold(v.Text, s.Thresholds); err != nil {
			errs.Add(v.Pos, "Thresholds %q: %v", v.Text, err)
		}
	}
	for _, v := range c.List(Section, "RuleScore") {
		if err := parseRuleScore(v.Text, s.Scores); err != nil {
			errs.Add(v.Pos, "RuleScore %q: %v", v.Text, err)
		}
	}
	for _, v := range c.List(Section, "URIBlackList") {
		if strings.TrimSpace(v.Text) == "" {
			continue
		}
		d, err := access.ParseDNSBL(v.Text)
		if err != nil {
			errs.Add(v.Pos, "URIBlackList %q: %v", v.Text, err)
			continue
		}
		d.Pos = v.Pos
		s.URIBL = append(s.URIBL, d)
	}
	if s.PyzorServer != "" {
		if _, port, err := net.SplitHostPort(s.PyzorServer); err != nil || port == "" {
			vals, _ := c.Lookup(Section, "PyzorServer")
			errs.Add(lastPos(vals), "PyzorServer %q: want host:port, e.g. public.pyzor.org:24441", s.PyzorServer)
		}
	}
	if s.BayesStore == "bbolt" && !filepath.IsAbs(s.BayesPath) {
		vals, _ := c.Lookup(Section, "BayesPath")
		errs.Add(lastPos(vals), "BayesPath must be an absolute path")
	}
	return s, errs
}

// sampleFiles reads FuzzySamples or ImageSamples: each value is Builtin
// or an absolute path; empty values are dropped.
func sampleFiles(c *config.Config, key string, errs config.ErrorList) ([]config.Value, config.ErrorList) {
	var out []config.Value
	for _, v := range c.List(Section, key) {
		v.Text = strings.TrimSpace(v.Text)
		switch {
		case v.Text == "":
			continue
		case v.Text != Builtin && !filepath.IsAbs(v.Text):
			errs.Add(v.Pos, "%s %q: want %s or an absolute path", key, v.Text, Builtin)
			continue
		}
		out = append(out, v)
	}
	return out, errs
}

// DefaultScores is the score of every rule of the table.
func DefaultScores() map[string]float64 {
	m := map[string]float64{}
	for _, r := range DefaultRules() {
		m[r.Name] = r.Score
	}
	return m
}

// DefaultThresholds are the thresholds of the Thresholds default.
func DefaultThresholds() map[string]Threshold {
	return map[string]Threshold{
		"minimum": {7, 12}, "standard": {5, 8}, "high": {4, 6}, "maximum": {3, 4.5},
	}
}

func parseThreshold(text string, into map[string]Threshold) error {
	f := strings.Fields(text)
	if len(f) != 3 {
		return fmt.Errorf("want LEVEL PROBABLE SPAM, e.g. \"standard 5 8\"")
	}
	level := strings.ToLower(f[0])
	if !knownLevel(level) {
		return fmt.Errorf("unknown level %q (want %s)", f[0], strings.Join(levels, ", "))
	}
	p, err1 := strconv.ParseFloat(f[1], 64)
	sp, err2 := strconv.ParseFloat(f[2], 64)
	switch {
	case err1 != nil || err2 != nil:
		return fmt.Errorf("scores must be numbers")
	case p <= 0 || sp < p:
		return fmt.Errorf("want 0 < PROBABLE <= SPAM")
	}
	into[level] = Threshold{Probable: p, Spam: sp}
	return nil
}

func parseRuleScore(text string, into map[string]float64) error {
	f := strings.Fields(text)
	if len(f) != 2 {
		return fmt.Errorf("want RULE SCORE, e.g. \"SUBJECT_TOO_LONG 0.5\"")
	}
	name := strings.ToUpper(f[0])
	if _, ok := into[name]; !ok {
		return fmt.Errorf("unknown rule %s (the rules are listed in docs/configuration.md)", f[0])
	}
	v, err := strconv.ParseFloat(f[1], 64)
	if err != nil || v < -100 || v > 1000 {
		return fmt.Errorf("score must be a number from -100 to 1000")
	}
	into[name] = v
	return nil
}

func knownLevel(l string) bool {
	for _, k := range levels {
		if k == l {
			return true
		}
	}
	return false
}

func lastPos(vals []config.Value) config.Pos {
	if len(vals) == 0 {
		return config.Pos{File: "[" + Section + "]"}
	}
	return vals[len(vals)-1].Pos
}
