package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// envMap is an injected environment.
func envMap(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func writeConfig(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	var stderr bytes.Buffer
	cfg, _, err := loadConfig("serve", args, &stderr, envMap(env))
	return cfg, err
}

// One setting of each kind, given by each source: the flag beats the
// environment, which beats the file, which beats the default.
func TestConfigPrecedence(t *testing.T) {
	kinds := []struct {
		kind          string
		yaml, toml    string // the file's line
		env           [2]string
		flag          []string
		value         func(Config) any
		def, fromFile any
		fromEnv       any
		fromFlag      any
	}{
		{
			kind: "string", yaml: "addr: 127.0.0.1:1001", toml: `addr = "127.0.0.1:1001"`,
			env: [2]string{"HEALTHSEARCH_ADDR", "127.0.0.1:1002"}, flag: []string{"--addr", "127.0.0.1:1003"},
			value: func(c Config) any { return c.Addr },
			def:   "127.0.0.1:8080", fromFile: "127.0.0.1:1001", fromEnv: "127.0.0.1:1002", fromFlag: "127.0.0.1:1003",
		},
		{
			kind: "int", yaml: "workers: 3", toml: "workers = 3",
			env: [2]string{"HEALTHSEARCH_WORKERS", "5"}, flag: []string{"--workers=7"},
			value: func(c Config) any { return c.Workers },
			def:   runtime.NumCPU(), fromFile: 3, fromEnv: 5, fromFlag: 7,
		},
		{
			// A list from a higher source replaces the lower one's, never
			// adds to it.
			kind: "list", yaml: "cors_origins: [https://file.example, https://file2.example]", toml: `cors_origins = ["https://file.example", "https://file2.example"]`,
			env: [2]string{"HEALTHSEARCH_CORS_ORIGINS", "https://env.example, https://env2.example"}, flag: []string{"--cors-origins", "https://flag.example", "--cors-origins", "https://flag2.example,https://flag3.example"},
			value:    func(c Config) any { return c.CORSOrigins },
			def:      []string(nil),
			fromFile: []string{"https://file.example", "https://file2.example"},
			fromEnv:  []string{"https://env.example", "https://env2.example"},
			fromFlag: []string{"https://flag.example", "https://flag2.example", "https://flag3.example"},
		},
		{
			kind: "duration", yaml: "request_timeout: 1500ms", toml: `request_timeout = "1500ms"`,
			env: [2]string{"HEALTHSEARCH_REQUEST_TIMEOUT", "2s"}, flag: []string{"--request-timeout", "3m"},
			value: func(c Config) any { return c.RequestTimeout },
			def:   5 * time.Second, fromFile: 1500 * time.Millisecond, fromEnv: 2 * time.Second, fromFlag: 3 * time.Minute,
		},
		{
			// The file turns it on, the environment off again, and a bare
			// flag on.
			kind: "bool", yaml: "log_queries: true", toml: "log_queries = true",
			env: [2]string{"HEALTHSEARCH_LOG_QUERIES", "false"}, flag: []string{"--log-queries"},
			value: func(c Config) any { return c.LogQueries },
			def:   false, fromFile: true, fromEnv: false, fromFlag: true,
		},
	}
	for _, k := range kinds {
		for _, format := range []string{"yaml", "toml"} {
			line := k.yaml
			if format == "toml" {
				line = k.toml
			}
			file := writeConfig(t, "healthsearch."+format, line+"\n")
			env := map[string]string{k.env[0]: k.env[1]}
			for _, c := range []struct {
				name string
				args []string
				env  map[string]string
				want any
			}{
				{"default", nil, nil, k.def},
				{"file", []string{"--config", file}, nil, k.fromFile},
				{"file named by HEALTHSEARCH_CONFIG", nil, map[string]string{"HEALTHSEARCH_CONFIG": file}, k.fromFile},
				{"env over file", []string{"--config", file}, env, k.fromEnv},
				{"env over default", nil, env, k.fromEnv},
				{"flag over env and file", append([]string{"--config", file}, k.flag...), env, k.fromFlag},
				{"flag over file", append([]string{"--config", file}, k.flag...), nil, k.fromFlag},
			} {
				cfg, err := load(t, c.args, c.env)
				if err != nil {
					t.Errorf("%s %s %s: %v", k.kind, format, c.name, err)
					continue
				}
				if got := k.value(cfg); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s %s %s: got %#v, want %#v", k.kind, format, c.name, got, c.want)
				}
			}
		}
	}
}

// The same settings read the same from YAML and TOML, including "sources"
// as the file's name for --src.
func TestConfigFileFormats(t *testing.T) {
	yamlFile := writeConfig(t, "c.yml", `# healthsearch
index: /srv/healthsearch/index
sources:
  - /srv/pages/a
  - /srv/pages/b
addr: 0.0.0.0:9000
workers: 4
log_format: json
log_level: warn
log_queries: false
reload_interval: 5s
request_timeout: 2s
cors_origins: ["https://a.example"]
admin_token: from-file
`)
	tomlFile := writeConfig(t, "c.toml", `# healthsearch
index = "/srv/healthsearch/index"
sources = ["/srv/pages/a", "/srv/pages/b"]
addr = "0.0.0.0:9000"
workers = 4
log_format = "json"
log_level = "warn"
log_queries = false
reload_interval = "5s"
request_timeout = "2s"
cors_origins = ["https://a.example"]
admin_token = "from-file"
`)
	want := defaultConfig()
	want.Index = "/srv/healthsearch/index"
	want.Sources = []string{"/srv/pages/a", "/srv/pages/b"}
	want.Addr = "0.0.0.0:9000"
	want.Workers = 4
	want.LogFormat, want.LogLevel = "json", "warn"
	want.ReloadInterval, want.RequestTimeout = 5*time.Second, 2*time.Second
	want.CORSOrigins = []string{"https://a.example"}
	want.AdminToken = "from-file"
	for _, file := range []string{yamlFile, tomlFile} {
		cfg, err := load(t, []string{"--config", file}, nil)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
			continue
		}
		if !reflect.DeepEqual(cfg, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", filepath.Base(file), cfg, want)
		}
	}
	if _, err := load(t, []string{"--config", writeConfig(t, "empty.yaml", "")}, nil); err != nil {
		t.Errorf("empty YAML file: %v", err)
	}
}

// Errors name the setting and where its value came from.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // all in the error
	}{
		{"unknown key in YAML", []string{"--config", writeConfig(t, "u.yaml", "index: x\ncolour: blue\n")}, nil, []string{"u.yaml", `unknown setting "colour"`}},
		{"unknown key in TOML", []string{"--config", writeConfig(t, "u.toml", "colour = \"blue\"\n")}, nil, []string{"u.toml", `unknown setting "colour"`}},
		{"bad int in file", []string{"--config", writeConfig(t, "w.yaml", "workers: 0\n")}, nil, []string{"w.yaml", "setting workers", `"0"`}},
		{"bad duration in file", []string{"--config", writeConfig(t, "d.toml", "reload_interval = \"1ms\"\n")}, nil, []string{"d.toml", "setting reload_interval", "minimum"}},
		{"list for a single value", []string{"--config", writeConfig(t, "l.yaml", "addr: [a, b]\n")}, nil, []string{"l.yaml", "setting addr", "not a list"}},
		{"bad YAML", []string{"--config", writeConfig(t, "b.yaml", "index: [\n")}, nil, []string{"b.yaml"}},
		{"unknown format", []string{"--config", writeConfig(t, "c.json", "{}")}, nil, []string{"c.json", "unknown format"}},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, nil, []string{"config file", "none.yaml"}},
		{"bad int in env", nil, map[string]string{"HEALTHSEARCH_WORKERS": "many"}, []string{"setting workers (environment HEALTHSEARCH_WORKERS)", `"many"`}},
		{"bad bool in env", nil, map[string]string{"HEALTHSEARCH_LOG_QUERIES": "maybe"}, []string{"setting log_queries (environment HEALTHSEARCH_LOG_QUERIES)"}},
		{"bad choice in env", nil, map[string]string{"HEALTHSEARCH_LOG_FORMAT": "xml"}, []string{"setting log_format (environment HEALTHSEARCH_LOG_FORMAT)", "text, json"}},
		{"bad duration in env", nil, map[string]string{"HEALTHSEARCH_REQUEST_TIMEOUT": "soon"}, []string{"setting request_timeout (environment HEALTHSEARCH_REQUEST_TIMEOUT)"}},
		{"bad int flag", []string{"--workers", "300"}, nil, []string{"-workers", "1 to 256"}},
		{"bad duration flag", []string{"--request-timeout=1ms"}, nil, []string{"-request-timeout", "minimum"}},
		{"bad choice flag", []string{"--log-level", "loud"}, nil, []string{"-log-level", "debug, info, warn, error"}},
		// A token on the command line would show in ps and shell history.
		{"admin token flag", []string{"--admin-token", "x"}, nil, []string{"admin-token"}},
	}
	for _, c := range cases {
		_, err := load(t, c.args, c.env)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

// `healthsearch config` prints the effective configuration with the admin
// token redacted, and what it prints reads back as a config file.
func TestConfigCommand(t *testing.T) {
	file := writeConfig(t, "h.yaml", "workers: 3\nadmin_token: file-secret-token\n")
	t.Setenv("HEALTHSEARCH_ADDR", "127.0.0.1:9999")
	stdout, _, err := runCLI(t, "config", "--config", file, "--cors-origins", "https://a.example,https://b.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`addr: "127.0.0.1:9999"`, `workers: "3"`, "cors_origins: [https://a.example,https://b.example]", `admin_token: "(set, redacted)"`, "sources: []"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("config output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "file-secret-token") {
		t.Errorf("config printed the token:\n%s", stdout)
	}
	t.Setenv("HEALTHSEARCH_ADMIN_TOKEN", "env-secret-token")
	if stdout, _, err := runCLI(t, "config"); err != nil || strings.Contains(stdout, "env-secret-token") || !strings.Contains(stdout, "(set, redacted)") {
		t.Errorf("config with the token in the environment: %v\n%s", err, stdout)
	}
	t.Setenv("HEALTHSEARCH_ADMIN_TOKEN", "")

	// The output is itself a config file giving the same configuration.
	stdout, _, err = runCLI(t, "config", "--index", "/srv/i", "--src", "/srv/a", "--src", "/srv/b", "--log-queries", "--reload-interval", "2s")
	if err != nil {
		t.Fatal(err)
	}
	printed, err := load(t, []string{"--config", writeConfig(t, "printed.yaml", stdout)}, nil)
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, stdout)
	}
	want, _ := load(t, []string{"--index", "/srv/i", "--src", "/srv/a", "--src", "/srv/b", "--log-queries", "--reload-interval", "2s", "--addr", "127.0.0.1:9999"}, nil)
	if !reflect.DeepEqual(printed, want) {
		t.Errorf("printed config reads back as\n%+v\nwant\n%+v", printed, want)
	}
}
