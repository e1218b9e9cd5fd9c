package main

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/mailgw/mailgw/config"
	"github.com/mailgw/mailgw/gateway"
)

// configFlags are --config and --set, which every subcommand that works on
// the configuration takes, with the same meaning as the daemons'.
type configFlags struct {
	path      string
	overrides []string
}

func (c *configFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&c.path, "config", "c", "", "configuration file (default: the embedded default)")
	fs.StringArrayVarP(&c.overrides, "set", "o", nil, "override a parameter: section.Key=value (repeatable)")
}

// load reads the configuration with environment overrides and --set.
func (c *configFlags) load() (*gateway.Gateway, error) {
	return gateway.Load(c.path, config.Options{Env: os.LookupEnv, Overrides: c.overrides})
}
