// Package gateway assembles mailgw.conf from the packages that own its
// sections and builds the core from a loaded file. It is the one place that
// knows every section; each owning package still decodes and validates its
// own part. Every program (mailgw, mailgw-milter, mailgw-relay) loads its
// configuration through Load, so all of them accept exactly the same files.
package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mailgw/mailgw/access"
	"github.com/mailgw/mailgw/access/dnsfacts"
	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/bayes"
	"github.com/mailgw/mailgw/antispam/defaultdb"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/pyzor"
	"github.com/mailgw/mailgw/antispam/resolver"
	"github.com/mailgw/mailgw/av"
	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/decision"
	"github.com/mailgw/mailgw/dispatch"
	"github.com/mailgw/mailgw/filter"
	"github.com/mailgw/mailgw/notify"
	"github.com/mailgw/mailgw/policy"
	"github.com/mailgw/mailgw/quarantine"
	"github.com/mailgw/mailgw/queue"
	"github.com/mailgw/mailgw/routing"
	"github.com/mailgw/mailgw/service"
)

// Schema is the complete configuration language.
func Schema() config.Schema {
	var s config.Schema
	s = append(s, policy.Schema()...)
	s = append(s, service.Schema()...)
	s = append(s, access.Schema()...)
	s = append(s, routing.Schema()...)
	s = append(s, av.Schema()...)
	s = append(s, antispam.Schema()...)
	s = append(s, quarantine.Schema()...)
	s = append(s, notify.Schema()...)
	return s
}

// Gateway is a loaded, validated configuration decoded into the structures
// of its owning packages.
type Gateway struct {
	Config     *config.Config
	Policy     *policy.Policy
	Access     *access.Access
	Routes     *routing.Routes
	Service    *service.Service
	AV         av.Settings
	AntiSpam   antispam.Settings
	Quarantine quarantine.Settings
	Templates  notify.Settings
	// disclaimers are the groups' own disclaimer templates, by file path,
	// parsed and checked at load time.
	disclaimers map[string]*notify.Template
	samples     samples // of the fuzzy and the image check
}

var _ filter.VirusScanner = (*av.Engine)(nil)

// Load reads path ("" for the embedded default), applies the overrides in
// opts and validates everything. The error, when not nil, is a
// config.ErrorList holding every problem found, each with file:line.
func Load(path string, opts config.Options) (*Gateway, error) {
	c, err := config.Load(path, Schema(), opts)
	return decodeAll(c, err)
}

// Parse is Load for configuration text already in memory.
func Parse(name string, data []byte, opts config.Options) (*Gateway, error) {
	c, err := config.Parse(name, data, Schema(), opts)
	return decodeAll(c, err)
}

// decodeAll decodes c even when loading it found errors, so that every
// problem of the file (syntax, types, and what the sections' owners check)
// is reported in one run.
func decodeAll(c *config.Config, loadErr error) (*Gateway, error) {
	var errs config.ErrorList
	if loadErr != nil {
		var ok bool
		if errs, ok = loadErr.(config.ErrorList); !ok || c == nil {
			return nil, loadErr
		}
	}
	g, err := decode(c)
	if err != nil {
		errs = append(errs, err.(config.ErrorList)...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

func decode(c *config.Config) (*Gateway, error) {
	var errs config.ErrorList
	g := &Gateway{Config: c}
	var e config.ErrorList
	g.Policy, e = policy.FromConfig(c)
	errs = append(errs, e...)
	g.Access, e = access.FromConfig(c)
	errs = append(errs, e...)
	g.Routes, e = routing.FromConfig(c)
	errs = append(errs, e...)
	g.Service, e = service.FromConfig(c)
	errs = append(errs, e...)
	g.AV, e = av.FromConfig(c)
	errs = append(errs, e...)
	g.AntiSpam, e = antispam.FromConfig(c)
	errs = append(errs, e...)
	g.Quarantine, e = quarantine.FromConfig(c)
	errs = append(errs, e...)
	g.Templates, e = notify.FromConfig(c)
	errs = append(errs, e...)
	errs = append(errs, g.loadDisclaimers()...)
	errs = append(errs, g.loadSamples()...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return g, nil
}

// Filter builds the scanning pipeline for this configuration.
func (g *Gateway) Filter(opts filter.Options) *filter.Filter {
	return filter.New(g.Policy, opts)
}

// Core builds the scanning pipeline as every program runs it: the
// anti-spam engine of [mailgw.antispam], the anti-virus engine of
// [mailgw.antivirus], the placeholder and disclaimer templates. version
// goes into the headers the filter writes.
func (g *Gateway) Core(log *slog.Logger, version string) (*filter.Filter, *notify.Templates, error) {
	engine, err := g.VirusScanner()
	if err != nil {
		return nil, nil, fmt.Errorf("anti-virus: %w", err)
	}
	templates, err := notify.Load(g.Templates)
	if err != nil {
		return nil, nil, err
	}
	return g.Filter(filter.Options{Logger: log, Version: version, Virus: engine, Spam: g.SpamChecker(log),
		Placeholder: g.Placeholder(templates), Disclaimer: g.Disclaimer(templates)}), templates, nil
}

// VirusScanner builds the anti-virus engine of [mailgw.antivirus]. It loads
// signature files but contacts no server.
func (g *Gateway) VirusScanner() (*av.Engine, error) {
	if g.Service == nil {
		return nil, errors.New("gateway: configuration not decoded")
	}
	return av.Build(g.AV, g.Service.Limits.AntiviralSessions, g.Service.Timeouts.ScanTimeout)
}

// The Pyzor client is the engine's digest service, and finds its server
// through the engine's resolver.
var (
	_ engine.DigestChecker = (*pyzor.Client)(nil)
	_ pyzor.Resolver       = (*resolver.Resolver)(nil)
)

// SpamChecker builds the anti-spam engine of [mailgw.antispam], with the
// DNSBlackList of [mailgw.access], the DNS timeouts of [mailgw.timeouts],
// the sample files read by Load and the Pyzor client of PyzorServer. It
// contacts no server and opens no file: the Bayes file is opened at the
// first lookup, Redis at first use, and the Pyzor server is asked per message.
func (g *Gateway) SpamChecker(log *slog.Logger) *engine.Engine {
	s := g.AntiSpam
	t := g.Service.Timeouts
	res := g.dnsResolver(s.Resolver)
	opts := engine.Options{Settings: s, DNSBL: g.Access.DNSBL, Logger: log, DNSTimeout: t.DNSResolveTimeout, Resolver: res,
		Obscene: defaultdb.ObsceneWords()}
	if s.PyzorServer != "" {
		opts.Digest = pyzor.New(pyzor.Options{Server: s.PyzorServer, Timeout: s.PyzorTimeout, Resolver: res})
	}
	var store bayes.Store
	switch s.BayesStore {
	case "bbolt":
		store = bayes.NewBoltFile(s.BayesPath)
	case "redis":
		store = bayes.NewRedis(s.RedisAddress, s.RedisPrefix)
	}
	switch {
	case store != nil && s.BayesBuiltin:
		opts.Bayes = bayes.New(bayes.Layered{Base: &defaultdb.Store{}, Top: store}, s.BayesMinimum)
	case store != nil:
		opts.Bayes = bayes.New(store, s.BayesMinimum)
	}
	if g.samples.text != nil {
		opts.Fuzzy = g.samples.text
	}
	if g.samples.images != nil {
		opts.Images = g.samples.images
	}
	if g.samples.terms != nil {
		opts.Terms = g.samples.terms
	}
	if log == nil {
		log = slog.Default()
	}
	for _, p := range g.samples.missing {
		log.Warn("anti-spam: sample file does not exist; no samples from it", "file", p)
	}
	return engine.New(opts)
}

// AccessLookup looks up the facts of the access rules for mailgw-milter:
// over [mailgw.relay] DNSServer when set, else the anti-spam Resolver,
// else /etc/resolv.conf, with the DNS timeouts and cache of
// [mailgw.timeouts]. It contacts no server until asked.
func (g *Gateway) AccessLookup() dnsfacts.Lookup {
	server := g.Service.Relay.DNSServer
	if server == "" {
		server = g.AntiSpam.Resolver
	}
	return dnsfacts.Lookup{Access: g.Access, Resolver: g.dnsResolver(server)}
}

// dnsResolver is a resolver asking server (`host:port` or `host`; "" for
// /etc/resolv.conf) with the DNS timeouts and cache of [mailgw.timeouts].
func (g *Gateway) dnsResolver(server string) *resolver.Resolver {
	var servers []string
	if server != "" {
		servers = []string{resolver.ServerAddress(server)}
	}
	t := g.Service.Timeouts
	return resolver.New(resolver.Options{Servers: servers, NetworkTimeout: t.DNSNetworkTimeout,
		ResolveTimeout: t.DNSResolveTimeout, MaxTTL: t.DNSCacheMaximalTTL})
}

// BayesStore opens the store of [mailgw.antispam] for mailgw learn.
func (g *Gateway) BayesStore() (bayes.Store, error) {
	s := g.AntiSpam
	switch s.BayesStore {
	case "bbolt":
		return bayes.OpenBoltLearn(s.BayesPath)
	case "redis":
		return bayes.NewRedis(s.RedisAddress, s.RedisPrefix), nil
	}
	return nil, errors.New("BayesStore=none: nothing to learn into")
}

// QuarantineTool is the quarantine and archive tool (mailgw-maila,
// mailgw quarantine) with --config read through Load, so the tool accepts
// exactly the files the daemons do, and with ReleaseVia=queue releasing
// into the relay's queue.
func QuarantineTool(name string) quarantine.Tool {
	return quarantine.Tool{Name: name, LoadConfig: func(path string) (quarantine.Settings, error) {
		gw, err := Load(path, config.Options{Env: os.LookupEnv})
		if err != nil {
			return quarantine.Settings{}, err
		}
		set := gw.Quarantine
		if set.ReleaseVia == quarantine.ViaQueue {
			set.ReleaseQueue = gw.Service.Relay.QueueDirectory
		}
		return set, nil
	}, QueueRelease: openReleaseQueue}
}

// openReleaseQueue opens the queue of a relay that already ran there: a
// directory that does not exist is a mistyped path, not a queue to create
// where no relay will ever look.
func openReleaseQueue(dir string) (func(quarantine.Meta, []byte) error, error) {
	if _, err := os.Stat(filepath.Join(dir, "ready")); err != nil {
		return nil, fmt.Errorf("%s is not the queue of a mailgw-relay that has run: %w", dir, err)
	}
	q, err := queue.Open(dir)
	if err != nil {
		return nil, err
	}
	return q.Release, nil
}

// Dispatcher carries out the quarantine and notification requests of
// Decisions with this configuration's templates and names; submit sends
// the notices (the MTA in milter mode, the queue in relay mode). It opens
// and sends nothing until a Decision asks.
func (g *Gateway) Dispatcher(t *notify.Templates, submit dispatch.Submitter, log *slog.Logger) *dispatch.Dispatcher {
	return dispatch.New(dispatch.Options{Builder: g.Builder(t), Submit: submit, Logger: log})
}

// Builder makes notices and DSNs with the loaded templates and this
// gateway's host name and postmaster.
func (g *Gateway) Builder(t *notify.Templates) *notify.Builder {
	return &notify.Builder{Templates: t, Hostname: g.Service.Network.Hostname, Postmaster: g.Service.Network.Postmaster}
}

// QueueTool is `mailgw queue` with --config read through Load, so the
// tool finds the queue the relay uses.
func QueueTool(name string) queue.Tool {
	return queue.Tool{Name: name, LoadDir: func(path string) (string, error) {
		gw, err := Load(path, config.Options{Env: os.LookupEnv})
		if err != nil {
			return "", err
		}
		return gw.Service.Relay.QueueDirectory, nil
	}}
}

// Placeholder returns the filter's placeholder renderer for the loaded
// templates.
func (g *Gateway) Placeholder(t *notify.Templates) func(decision.Object, *filter.Envelope, string) (string, error) {
	return func(o decision.Object, env *filter.Envelope, group string) (string, error) {
		return t.Render(notify.KindPlaceholder, &notify.Data{
			Object: notify.ObjectOf(o), Objects: []notify.Object{notify.ObjectOf(o)}, Statuses: []string{"av/" + o.Status},
			Sender: env.From, Recipients: env.Rcpts, Group: group, QueueID: env.QueueID, Date: time.Now(),
			Hostname: g.Service.Network.Hostname, Postmaster: g.Service.Network.Postmaster,
		})
	}
}

// loadDisclaimers parses every DisclaimerTemplate of the policy and its
// groups, so that a broken one is a configuration error, not a surprise at
// delivery.
func (g *Gateway) loadDisclaimers() config.ErrorList {
	var errs config.ErrorList
	g.disclaimers = map[string]*notify.Template{}
	if g.Policy == nil {
		return nil
	}
	for _, grp := range append([]*policy.Group{g.Policy.Default}, g.Policy.Groups...) {
		v := grp.Params.DisclaimerTemplate
		if v.Text == "" || g.disclaimers[v.Text] != nil {
			continue
		}
		t, err := notify.ParseFile(notify.KindDisclaimer, v.Text)
		if err != nil {
			errs.Add(v.Pos, "DisclaimerTemplate: %v", err)
			continue
		}
		g.disclaimers[v.Text] = t
	}
	return errs
}

// Disclaimer returns the filter's disclaimer renderer: the group's own
// template when it has one, else the [mailgw.templates] disclaimer.
func (g *Gateway) Disclaimer(t *notify.Templates) func(*decision.Decision, *filter.Envelope, *policy.Group) (string, error) {
	return func(d *decision.Decision, env *filter.Envelope, grp *policy.Group) (string, error) {
		data := &notify.Data{Statuses: d.Statuses, Sender: env.From, Recipients: d.Recipients, Group: grp.Name,
			QueueID: env.QueueID, Date: time.Now(), Hostname: g.Service.Network.Hostname,
			Postmaster: g.Service.Network.Postmaster, Disposition: string(d.Disposition)}
		if own := g.disclaimers[grp.Params.DisclaimerTemplate.Text]; own != nil {
			return own.Render(data)
		}
		return t.Render(notify.KindDisclaimer, data)
	}
}
