package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Config is the one configuration model of every command. Each setting can
// come from a flag, a HEALTHSEARCH_* environment variable or a YAML/TOML file;
// precedence is flag > environment > file > default.
type Config struct {
	Index          string
	Sources        []string
	Addr           string
	Workers        int
	Dict           string
	Topics         string
	Synonyms       string
	LogFormat      string
	LogLevel       string
	LogQueries     bool
	ReloadInterval time.Duration
	RequestTimeout time.Duration
	CORSOrigins    []string
	AdminToken     string
}

func defaultConfig() Config {
	return Config{
		Index:          "data/index",
		Sources:        nil,
		Addr:           "127.0.0.1:8080",
		Workers:        runtime.NumCPU(),
		LogFormat:      "text",
		LogLevel:       "info",
		ReloadInterval: time.Second,
		RequestTimeout: 5 * time.Second,
	}
}

// setting describes one configuration key and how to read and print it.
type setting struct {
	key     string // file key; flag is --key with '_' as '-'; env HEALTHSEARCH_KEY
	help    string
	list    bool // repeatable flag, comma-separated in the environment
	secret  bool // never printed
	boolean bool // a flag that may be given without a value
	set     func(c *Config, v string) error
	get     func(c *Config) string
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }
func (s setting) envName() string  { return "HEALTHSEARCH_" + strings.ToUpper(s.key) }

func str(dst func(*Config) *string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error { *dst(c) = v; return nil }, func(c *Config) string { return *dst(c) }
}

func oneOf(dst func(*Config) *string, allowed ...string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			for _, a := range allowed {
				if v == a {
					*dst(c) = v
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		},
		func(c *Config) string { return *dst(c) }
}

func list(dst func(*Config) *[]string) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					*dst(c) = append(*dst(c), p)
				}
			}
			return nil
		},
		func(c *Config) string { return strings.Join(*dst(c), ",") }
}

func duration(dst func(*Config) *time.Duration, minimum time.Duration) (func(*Config, string) error, func(*Config) string) {
	return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration such as 500ms or 2s", v)
			}
			if d < minimum {
				return fmt.Errorf("%s is below the minimum %s", d, minimum)
			}
			*dst(c) = d
			return nil
		},
		func(c *Config) string { return dst(c).String() }
}

var settings = func() []setting {
	s := []setting{}
	add := func(key, help string, set func(*Config, string) error, get func(*Config) string) *setting {
		s = append(s, setting{key: key, help: help, set: set, get: get})
		return &s[len(s)-1]
	}
	set, get := str(func(c *Config) *string { return &c.Index })
	add("index", "index directory (generations and CURRENT)", set, get)
	set, get = list(func(c *Config) *[]string { return &c.Sources })
	add("src", "folder of *.txt pages, searched recursively (repeatable)", set, get).list = true
	set, get = str(func(c *Config) *string { return &c.Addr })
	add("addr", "listen address of serve", set, get)
	add("workers", "parallel index workers", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return fmt.Errorf("%q is not a number of workers from 1 to 256", v)
		}
		c.Workers = n
		return nil
	}, func(c *Config) string { return strconv.Itoa(c.Workers) })
	set, get = str(func(c *Config) *string { return &c.Dict })
	add("dict", "extra gse user dictionary file (word [freq [pos]] per line)", set, get)
	set, get = str(func(c *Config) *string { return &c.Topics })
	add("topics", "topic taxonomy YAML file replacing the embedded one", set, get)
	set, get = str(func(c *Config) *string { return &c.Synonyms })
	add("synonyms", "extra query synonyms file (one set of words per line)", set, get)
	set, get = oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")
	add("log_format", "log format: text or json", set, get)
	set, get = oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")
	add("log_level", "log level: debug, info, warn or error", set, get)
	add("log_queries", "log query text at info level (off: queries can be personal health questions)", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		c.LogQueries = b
		return nil
	}, func(c *Config) string { return strconv.FormatBool(c.LogQueries) }).boolean = true
	set, get = duration(func(c *Config) *time.Duration { return &c.ReloadInterval }, 50*time.Millisecond)
	add("reload_interval", "how often serve checks for a new index generation", set, get)
	set, get = duration(func(c *Config) *time.Duration { return &c.RequestTimeout }, 10*time.Millisecond)
	add("request_timeout", "deadline of one HTTP request", set, get)
	set, get = list(func(c *Config) *[]string { return &c.CORSOrigins })
	add("cors_origins", "origins allowed to call the JSON API from a browser (comma-separated; none by default)", set, get).list = true
	set, get = str(func(c *Config) *string { return &c.AdminToken })
	tok := add("admin_token", "bearer token enabling POST /api/admin/reindex (environment or file only)", set, get)
	tok.secret = true
	return s
}()

// loadConfig reads the configuration of a command: defaults, then the file
// named by --config or HEALTHSEARCH_CONFIG, then the environment, then flags.
// Positional arguments (the query of `query`) are returned as rest.
func loadConfig(cmd string, args []string, stderr io.Writer, getenv func(string) string) (cfg Config, rest []string, err error) {
	cfg = defaultConfig()
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", getenv("HEALTHSEARCH_CONFIG"), "configuration file (.yaml, .yml or .toml)")
	given := map[string][]string{}
	for _, s := range settings {
		if s.secret {
			continue // a token on the command line would show in ps and shell history
		}
		s := s
		record := func(v string) error {
			given[s.key] = append(given[s.key], v)
			// Check now so the error names the flag; applied after file and env.
			probe := defaultConfig()
			return s.set(&probe, v)
		}
		if s.boolean {
			fs.BoolFunc(s.flagName(), s.help+" (env "+s.envName()+")", record)
		} else {
			fs.Func(s.flagName(), s.help+" (env "+s.envName()+")", record)
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if *configFile != "" {
		if err := applyFile(&cfg, *configFile); err != nil {
			return cfg, nil, err
		}
	}
	for _, s := range settings {
		if v := getenv(s.envName()); v != "" {
			if s.list {
				*listField(&cfg, s.key) = nil
			}
			if err := s.set(&cfg, v); err != nil {
				return cfg, nil, fmt.Errorf("setting %s (environment %s): %w", s.key, s.envName(), err)
			}
		}
	}
	for _, s := range settings {
		vals, ok := given[s.key]
		if !ok {
			continue
		}
		if s.list {
			*listField(&cfg, s.key) = nil
		}
		for _, v := range vals {
			if err := s.set(&cfg, v); err != nil {
				return cfg, nil, fmt.Errorf("setting %s (flag --%s): %w", s.key, s.flagName(), err)
			}
		}
	}
	return cfg, fs.Args(), nil
}

// listField lets a higher-precedence source replace a list rather than
// append to what a lower one gave.
func listField(c *Config, key string) *[]string {
	switch key {
	case "src":
		return &c.Sources
	case "cors_origins":
		return &c.CORSOrigins
	}
	panic("not a list setting: " + key)
}

func applyFile(cfg *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	raw := map[string]any{}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	case ".toml":
		if err := toml.Unmarshal(data, &raw); err != nil {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	default:
		return fmt.Errorf("config file %s: unknown format (use .yaml, .yml or .toml)", path)
	}
	byKey := map[string]setting{}
	for _, s := range settings {
		byKey[s.key] = s
	}
	// "sources" reads better than "src" in a file; accept both.
	if v, ok := raw["sources"]; ok {
		raw["src"] = v
		delete(raw, "sources")
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		s, ok := byKey[k]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		var vals []string
		switch v := raw[k].(type) {
		case []any:
			if !s.list {
				return fmt.Errorf("config file %s: setting %s takes one value, not a list", path, k)
			}
			for _, x := range v {
				vals = append(vals, fmt.Sprint(x))
			}
		default:
			vals = []string{fmt.Sprint(v)}
		}
		for _, v := range vals {
			if err := s.set(cfg, v); err != nil {
				return fmt.Errorf("config file %s: setting %s: %w", path, k, err)
			}
		}
	}
	return nil
}

// printConfig writes the effective configuration as YAML-like lines, with
// the admin token redacted.
func printConfig(w io.Writer, cfg Config) {
	for _, s := range settings {
		v := s.get(&cfg)
		if s.secret && v != "" {
			v = "(set, redacted)"
		}
		key := s.key
		if key == "src" {
			key = "sources"
		}
		if s.list {
			fmt.Fprintf(w, "%s: [%s]\n", key, v)
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", key, strconv.Quote(v))
	}
}
