package av

import (
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/config"
)

// Section is the daemon-wide anti-virus section owned by this package.
const Section = "mailgw.antivirus"

// Settings is [mailgw.antivirus]: which engines run and the limits of
// archive unpacking. What happens to an object of each status is a group
// parameter (Action*, BlockMessage) owned by package policy.
type Settings struct {
	Engines          []string // builtin, clamd, icap; in this order of scanning
	SignatureDir     string
	ClamdAddresses   []string
	ICAPURL          string
	ICAPMethod       string // icap.MethodRESPMOD or icap.MethodREQMOD
	ArchiveMaxDepth  int
	ArchiveMaxCount  int
	ArchiveMaxTotal  int64 // bytes
	ArchiveMaxMember int64 // bytes
	ArchiveMaxRatio  int
	CacheSize        int
	Heuristics       bool
}

// Schema describes [mailgw.antivirus].
func Schema() []config.SectionSchema {
	return []config.SectionSchema{{Name: Section,
		Doc: "The anti-virus engines and the limits of unpacking. Every engine listed scans every object; the worst result wins, and an engine that fails gives the object the error status, never clean.",
		Params: []config.Param{
			{Name: "Engines", Kind: config.List, Comma: true, Default: "builtin",
				Doc: "Engines to run: builtin (ClamAV-format signatures inside mailgw, no external process), clamd (clamd over INSTREAM), icap (an ICAP server, RFC 3507)."},
			{Name: "SignatureDir", Kind: config.String,
				Doc: "Directory of ClamAV-format databases (.cvd .cld .hdb .hsb .mdb .ndb .fp .sfp .ign2) loaded by the builtin engine in addition to its embedded test set. Empty: only the embedded set (EICAR and mailgw's own test signatures)."},
			{Name: "ClamdAddress", Kind: config.List, Comma: true, Default: "unix:/run/clamav/clamd.ctl",
				Doc: "clamd addresses: unix:/path, tcp:host:port or host:port. Several addresses fail over in order. AntiviralSessions in [mailgw.limits] bounds concurrent scans."},
			{Name: "ICAPURL", Kind: config.String, Doc: "ICAP service, e.g. icap://127.0.0.1:1344/srv_clamav?mode=simple&sizelimit=off for c-icap: simple mode names the virus, and without sizelimit=off c-icap passes objects over its MaxObjectSize unscanned."},
			{Name: "ICAPMethod", Kind: config.Enum, Default: "RESPMOD", Enum: []string{"RESPMOD", "REQMOD"},
				Doc: "How objects travel to the ICAP service (RFC 3507 section 4.8 and 4.9): RESPMOD as the body of an HTTP response (c-icap's virus_scan and most AV services), or REQMOD as the body of an HTTP PUT request, for services that only modify requests."},
			{Name: "ArchiveMaxDepth", Kind: config.Int, Default: "8", Min: 1, Max: 64,
				Doc: "Deepest nesting of archives opened; deeper ones give the error status."},
			{Name: "ArchiveMaxMembers", Kind: config.Int, Default: "10000", Min: 1, Max: 1000000,
				Doc: "Most objects unpacked from one attachment; more give the error status."},
			{Name: "ArchiveMaxTotalSize", Kind: config.Int, Default: "512", Min: 1, Max: 65536, Unit: "MB",
				Doc: "Most bytes unpacked from one attachment; more give the error status."},
			{Name: "ArchiveMaxMemberSize", Kind: config.Int, Default: "64", Min: 1, Max: 4096, Unit: "MB",
				Doc: "Largest unpacked object held in memory and scanned; larger ones give the error status."},
			{Name: "ArchiveMaxRatio", Kind: config.Int, Default: "200", Min: 10, Max: 100000,
				Doc: "Compression ratio above which a member of more than 1 MB is an archive bomb: suspicious."},
			{Name: "ScanCacheSize", Kind: config.Int, Default: "10000", Min: 0, Max: 10000000,
				Doc: "Scan results kept by content hash, so an attachment sent to many recipients or groups is scanned once; 0 turns the cache off."},
			{Name: "Heuristics", Kind: config.Bool, Default: "true",
				Doc: "Report a program named like a document (invoice.pdf that is an executable, invoice.pdf.exe) as suspicious, in archives too."},
		}}}
}

// FromConfig reads [mailgw.antivirus].
func FromConfig(c *config.Config) (Settings, config.ErrorList) {
	var errs config.ErrorList
	s := Settings{
		SignatureDir:     c.String(Section, "SignatureDir"),
		ICAPURL:          c.String(Section, "ICAPURL"),
		ICAPMethod:       c.String(Section, "ICAPMethod"),
		ArchiveMaxDepth:  int(c.Int(Section, "ArchiveMaxDepth")),
		ArchiveMaxCount:  int(c.Int(Section, "ArchiveMaxMembers")),
		ArchiveMaxTotal:  c.Int(Section, "ArchiveMaxTotalSize") << 20,
		ArchiveMaxMember: c.Int(Section, "ArchiveMaxMemberSize") << 20,
		ArchiveMaxRatio:  int(c.Int(Section, "ArchiveMaxRatio")),
		CacheSize:        int(c.Int(Section, "ScanCacheSize")),
		Heuristics:       c.Bool(Section, "Heuristics"),
	}
	for _, v := range c.List(Section, "ClamdAddress") {
		s.ClamdAddresses = append(s.ClamdAddresses, strings.TrimSpace(v.Text))
	}
	seen := map[string]bool{}
	for _, v := range c.List(Section, "Engines") {
		name := strings.ToLower(strings.TrimSpace(v.Text))
		switch {
		case name != "builtin" && name != "clamd" && name != "icap":
			errs.Add(v.Pos, "Engines: unknown engine %q (want builtin, clamd or icap)", v.Text)
		case seen[name]:
			errs.Add(v.Pos, "Engines: %s listed twice", name)
		case name == "icap" && s.ICAPURL == "":
			errs.Add(v.Pos, "Engines: icap needs ICAPURL")
		default:
			seen[name] = true
			s.Engines = append(s.Engines, name)
		}
	}
	if s.SignatureDir != "" && !filepath.IsAbs(s.SignatureDir) {
		vals, _ := c.Lookup(Section, "SignatureDir")
		errs.Add(vals[len(vals)-1].Pos, "SignatureDir must be an absolute path")
	}
	return s, errs
}
