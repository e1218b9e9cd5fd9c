package service

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mailgw/mailgw/config"
)

func updater(c *config.Config, errs *config.ErrorList) Updater {
	u := Updater{
		KeepSilent:                c.Bool(UpdaterSection, "KeepSilent"),
		UpdateServerURL:           c.String(UpdaterSection, "UpdateServerUrl"),
		UseUpdateServerURL:        c.Bool(UpdaterSection, "UseUpdateServerUrl"),
		UseUpdateServerURLOnly:    c.Bool(UpdaterSection, "UseUpdateServerUrlOnly"),
		PostUpdateCmd:             c.String(UpdaterSection, "PostUpdateCmd"),
		ProxyAddress:              c.String(UpdaterSection, "ProxyAddress"),
		UpdateComponentsList:      components(c, "UpdateComponentsList", errs),
		RetranslateComponentsList: components(c, "RetranslateComponentsList", errs),
		ReportAppend:              c.Bool(ReportSection, "Append"),
		ReportLevel:               int(c.Int(ReportSection, "ReportLevel")),
		ReportFileName:            checkPath(c, ReportSection, "ReportFileName", errs),
	}
	if u.UpdateServerURL != "" && !validSource(u.UpdateServerURL) {
		errs.Add(pos(c, UpdaterSection, "UpdateServerUrl"),
			"UpdateServerUrl %q: want an http, https or ftp URL or an absolute directory path", u.UpdateServerURL)
	}
	if u.UseUpdateServerURL && u.UpdateServerURL == "" {
		errs.Add(pos(c, UpdaterSection, "UseUpdateServerUrl"), "UseUpdateServerUrl is true but UpdateServerUrl is empty")
	}
	if u.UseUpdateServerURLOnly && !u.UseUpdateServerURL {
		// The updater would have no source at all.
		errs.Add(pos(c, UpdaterSection, "UseUpdateServerUrlOnly"), "UseUpdateServerUrlOnly is true but UseUpdateServerUrl is false")
	}
	if u.ProxyAddress != "" && !validProxy(u.ProxyAddress) {
		errs.Add(pos(c, UpdaterSection, "ProxyAddress"),
			"ProxyAddress %q: want http://[USER:PASSWORD@]HOST:PORT or HOST:PORT", u.ProxyAddress)
	}
	return u
}

// components reads a component list. Names are the update server's
// (AVS, AVS_OLD, CORE, Updater, BLST, KAS303...); which exist is the
// updater's business, so only their spelling is checked here.
func components(c *config.Config, key string, errs *config.ErrorList) []string {
	var out []string
	for _, v := range c.List(UpdaterSection, key) {
		name := strings.TrimSpace(v.Text)
		if name == "" {
			continue
		}
		if strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			errs.Add(v.Pos, "%s: %q is not a component name (letters, digits and _)", key, name)
			continue
		}
		out = append(out, name)
	}
	return out
}

// validSource accepts the update sources the guide uses: a URL of an
// update server or a mounted directory (/home/kluser/bases).
func validSource(s string) bool {
	if filepath.IsAbs(s) {
		return true
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp":
		return true
	}
	return false
}

// validProxy accepts an http(s) proxy URL or a bare HOST:PORT.
func validProxy(s string) bool {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || strings.ContainsAny(s, " \t") {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	}
	return false
}
