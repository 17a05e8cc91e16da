package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/urfave/cli/v2"

	"github.com/mla-initiative/herald/internal/problem"
	"github.com/mla-initiative/herald/internal/template"
)

// defaultConfig is read when present and --config is not given.
const defaultConfig = "herald.toml"

// pathKeys hold file or folder names; relative ones are taken relative to the config file,
// so that herald works the same from any working directory.
var pathKeys = map[string]bool{"contacts": true, "template": true, "log": true, "smtp-ca": true, "imap-ca": true, "out": true}

// perRunOnly flags decide what one run does; in a config file they would silently apply to
// every run (a forgotten yes = true sends without asking), so they are flags only.
var perRunOnly = map[string]bool{
	"yes": true, "dry-run": true, "only-failed": true, "resend-unknown": true,
	"test-to": true, "limit": true, "row": true, "config": true, "format": true, "export": true,
	"repeat-addresses": true,
	"unanswered":       true, "unanswered-log": true, "unmatched": true,
}

// configOnly are keys of the config file that no flag has. facts is the table of campaign
// facts, which --fact sets one by one.
var configOnly = map[string]bool{"password-command": true, "facts": true, "oauth-client-secret": true}

// notConfig are flags whose setting the config file writes another way: the repeatable
// --fact NAME=VALUE is the table [facts].
var notConfig = map[string]bool{"fact": true}

// configFile applies herald.toml to a command's flags. It knows the keys of every command,
// so that a key meant for send is not an error when check reads the same file, while a key
// that no command knows is reported as the typo it probably is.
type configFile struct {
	known map[string]bool
}

// learn adds the config keys that flags can be set by.
func (cf *configFile) learn(flags []cli.Flag) {
	if cf.known == nil {
		cf.known = map[string]bool{}
	}
	for _, f := range flags {
		if name := f.Names()[0]; !perRunOnly[name] && !notConfig[name] {
			cf.known[name] = true
		}
	}
}

// configSettings are the settings of the config file that no flag takes as they are.
type configSettings struct {
	// extra holds the keys that no flag has, by name with "-" for "_" (password-command).
	extra map[string]string
	// facts is the table [facts], by key as template.ParseFactKey gives it.
	facts map[string]string
}

// apply fills every flag of the command that was neither given on the command line nor
// by its HERALD_* variable from the config file at path ("" for ./herald.toml when it
// exists): flags beat the environment, which beats the file. It returns the settings no
// flag takes as they are.
func (cf *configFile) apply(c *cli.Context, path string) (configSettings, error) {
	var out configSettings
	explicit := path != ""
	if !explicit {
		path = defaultConfig
	}
	var raw map[string]any
	err := decodeConfig(path, &raw)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return out, nil
	case errors.Is(err, fs.ErrNotExist):
		return out, usagef("config file %s not found", path)
	case err != nil:
		return out, usageHint(fmt.Errorf("read config file %s: %w", path, err), "the file uses TOML: key = \"value\", one per line; see herald init for a commented example")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dir := filepath.Dir(path)
	out.extra = map[string]string{}
	for _, key := range keys {
		name := strings.ReplaceAll(key, "_", "-")
		if perRunOnly[name] {
			return out, usageHint(fmt.Errorf("config file %s: %s cannot be set in a config file", path, key), fmt.Sprintf("it decides one run only: give --%s on the command line instead", name))
		}
		if name == "fact" {
			return out, usageHint(fmt.Errorf("config file %s: unknown key %q", path, key), "campaign facts go in a table: a line [facts], then one fact a line: venue = \"…\"")
		}
		if !cf.known[name] && !configOnly[name] {
			err := fmt.Errorf("config file %s: unknown key %q", path, key)
			if best := problem.Closest(key, cf.keys()); best != "" {
				return out, usageHint(err, fmt.Sprintf("did you mean %s?", best))
			}
			return out, usageHint(err, "the keys are "+strings.Join(cf.keys(), ", "))
		}
		if name == "facts" {
			table, ok := raw[key].(map[string]any)
			if !ok {
				return out, usageHint(fmt.Errorf("config file %s: facts is not a table", path), "write a line [facts] at the end of the file, then one fact a line: venue = \"…\"")
			}
			facts, err := template.DecodeFacts(table)
			if err != nil {
				return out, usageHint(fmt.Errorf("config file %s: [facts]: %v", path, err), "a fact is a text in quotes, or a table of texts by language: venue = { en = \"…\", fr = \"…\" }")
			}
			out.facts = facts
			continue
		}
		if list, ok := raw[key].([]any); ok && !configOnly[name] {
			// A list sets a repeatable flag once per value: folder = ["INBOX", "Junk"].
			if !hasFlag(c, name) || c.IsSet(name) {
				continue
			}
			for _, v := range list {
				value, err := configValue(v)
				if err == nil {
					err = c.Set(name, value)
				}
				if err != nil {
					return out, usagef("config file %s: key %s: %v", path, key, err)
				}
			}
			continue
		}
		value, err := configValue(raw[key])
		if err != nil {
			return out, usagef("config file %s: key %s: %v", path, key, err)
		}
		if configOnly[name] {
			out.extra[name] = value
			continue
		}
		if !hasFlag(c, name) || c.IsSet(name) {
			continue
		}
		if pathKeys[name] && value != "" && !filepath.IsAbs(value) {
			if local := filepath.Join(dir, value); name != "template" || exists(local) {
				value = local
			}
		}
		if err := c.Set(name, value); err != nil {
			return out, usagef("config file %s: key %s: %v", path, key, err)
		}
	}
	return out, nil
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

// keys lists the known keys as they are written in the file.
func (cf *configFile) keys() []string {
	keys := make([]string, 0, len(cf.known)+len(configOnly))
	for k := range configOnly {
		keys = append(keys, strings.ReplaceAll(k, "-", "_"))
	}
	for k := range cf.known {
		keys = append(keys, strings.ReplaceAll(k, "-", "_"))
	}
	sort.Strings(keys)
	return keys
}

// maxConfig bounds herald.toml: a settings file is a few KiB.
const maxConfig = 1 << 20

// decodeConfig reads the config file at path, refusing what cannot be a settings file: a
// device or a named pipe (read without end), or a file over maxConfig.
func decodeConfig(path string, v any) error {
	// Looked at before it is opened: to open a named pipe is to wait for its writer.
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	case st.Size() > maxConfig:
		return fmt.Errorf("%d bytes, more than a settings file holds (at most %d)", st.Size(), maxConfig)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = toml.NewDecoder(io.LimitReader(f, maxConfig)).Decode(v)
	return err
}
