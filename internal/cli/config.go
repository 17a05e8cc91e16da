package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"
)

// defaultConfig is read when present and --config is not given.
const defaultConfig = "herald.toml"

// pathKeys hold file or folder names; relative ones are taken relative to the config file,
// so that herald works the same from any working directory.
var pathKeys = map[string]bool{"contacts": true, "template": true, "log": true, "smtp-ca": true, "out": true}

// knownKeys are the config keys of every command: a key in herald.toml that no command
// knows is a typo, and is reported rather than silently ignored.
var knownKeys = map[string]bool{}

// perRunOnly flags decide what one run does; in a config file they would silently apply to
// every run (a forgotten yes = true sends without asking), so they are flags only.
var perRunOnly = map[string]bool{
	"yes": true, "dry-run": true, "only-failed": true, "resend-unknown": true,
	"test-to": true, "limit": true, "row": true, "config": true,
}

func registerKeys(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		if name := f.Names()[0]; !perRunOnly[name] {
			knownKeys[name] = true
		}
	}
	return flags
}

// applyConfig fills every flag of the command that was neither given on the command line nor
// by its HERALD_* variable from the config file: flags beat the environment, which beats the
// file.
func applyConfig(c *cli.Context) error {
	path, explicit := c.String("config"), c.IsSet("config")
	if path == "" {
		path = defaultConfig
	}
	var raw map[string]any
	_, err := toml.DecodeFile(path, &raw)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return usagef("config file %s not found", path)
	case err != nil:
		return usageError{withHint(fmt.Errorf("read config file %s: %w", path, err), "the file uses TOML: key = \"value\", one per line; see herald init for a commented example")}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dir := filepath.Dir(path)
	for _, key := range keys {
		name := strings.ReplaceAll(key, "_", "-")
		if perRunOnly[name] {
			return usageError{withHint(fmt.Errorf("config file %s: %s cannot be set in a config file", path, key), fmt.Sprintf("it decides one run only: give --%s on the command line instead", name))}
		}
		if !knownKeys[name] && name != "password-command" {
			return usagef("config file %s: unknown key %q (known keys: %s)", path, key, strings.Join(sortedKnownKeys(), ", "))
		}
		if !hasFlag(c, name) || c.IsSet(name) {
			continue
		}
		value, err := configValue(raw[key])
		if err != nil {
			return usagef("config file %s: key %s: %v", path, key, err)
		}
		if pathKeys[name] && value != "" && !filepath.IsAbs(value) {
			if local := filepath.Join(dir, value); name != "template" || exists(local) {
				value = local
			}
		}
		if err := c.Set(name, value); err != nil {
			return usagef("config file %s: key %s: %v", path, key, err)
		}
	}
	return nil
}

// configString returns a config value that is not a flag, like password_command.
func configString(c *cli.Context, key string) (string, error) {
	path := c.String("config")
	if path == "" {
		path = defaultConfig
	}
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return "", nil
	}
	v, ok := raw[key]
	if !ok {
		return "", nil
	}
	return configValue(v)
}

func configValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return fmt.Sprint(v), nil
	case float64:
		return fmt.Sprint(v), nil
	case bool:
		return fmt.Sprint(v), nil
	default:
		return "", fmt.Errorf("want a string, number or true/false, not %T", v)
	}
}

func hasFlag(c *cli.Context, name string) bool {
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func sortedKnownKeys() []string {
	keys := make([]string, 0, len(knownKeys))
	keys = append(keys, "password_command")
	for k := range knownKeys {
		keys = append(keys, strings.ReplaceAll(k, "-", "_"))
	}
	sort.Strings(keys)
	return keys
}
