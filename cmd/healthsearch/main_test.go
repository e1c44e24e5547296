package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"healthsearch/indexer"
)

// mainArgsEnv makes the test binary run the command line instead of the
// tests, for what needs a process of its own: serving until a signal, and
// a user dictionary (the segmenter loads once per process).
const mainArgsEnv = "HEALTHSEARCH_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(mainArgsEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := run(args, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "healthsearch:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// mainCommand returns the test binary set up to run args as the CLI.
func mainCommand(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), mainArgsEnv+"="+string(raw)), env...)
	return cmd
}

var seedsDir = filepath.Join("..", "..", "seeds")

func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// seedIndex builds the seeds into a temporary index once per test.
func seedIndex(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	if _, _, err := runCLI(t, "index", "--src", seedsDir, "--index", dir, "--log-level", "error"); err != nil {
		t.Fatalf("index: %v", err)
	}
	return dir
}

func TestIndexCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	stdout, stderr, err := runCLI(t, "index", "--src", seedsDir, "--index", dir, "--workers", "2")
	if err != nil {
		t.Fatalf("index: %v\n%s", err, stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^generation\s+gen-\S+$`),
		regexp.MustCompile(`(?m)^pages read\s+5 \(`),
		regexp.MustCompile(`(?m)^articles\s+5 \(0 duplicate pages merged\)$`),
		regexp.MustCompile(`(?m)^related items\s+100 unique of 100 slots$`),
		regexp.MustCompile(`(?m)^skipped\s+0$`),
		regexp.MustCompile(`(?m)^elapsed\s+\S+ \(\d+ docs/s\)$`),
	} {
		if !want.MatchString(stdout) {
			t.Errorf("summary lacks %s:\n%s", want, stdout)
		}
	}
	// Not a terminal: plain progress lines, the last one complete.
	if !strings.Contains(stderr, "indexing: 5/5 pages") || strings.Contains(stderr, "\r") {
		t.Errorf("progress output:\n%q", stderr)
	}
	if _, err := indexer.CurrentGeneration(dir); err != nil {
		t.Errorf("no live generation: %v", err)
	}
}

func TestIndexCommandReportsSkippedPages(t *testing.T) {
	src := t.TempDir()
	data, err := os.ReadFile(filepath.Join(seedsDir, "001_6a117c224b11a31a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"good.txt": string(data), "empty.txt": "", "title.txt": "只有标题\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, _, err := runCLI(t, "index", "--src", src, "--index", filepath.Join(t.TempDir(), "i"), "--log-level", "error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"skipped         2", "empty.txt: empty page", "title.txt: no body text", "articles        1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

func TestQueryCommand(t *testing.T) {
	dir := seedIndex(t)
	stdout, _, err := runCLI(t, "query", "--index", dir, "医保卡跨省")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(stdout, "\n")
	if !strings.Contains(lines[0], `hits for "医保卡跨省"`) {
		t.Errorf("header %q", lines[0])
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], " 1. 医保卡如何跨省使用  [article 20") {
		t.Errorf("first hit is not 医保卡如何跨省使用:\n%s", stdout)
	}
	if !strings.Contains(stdout, "【") {
		t.Errorf("no highlighted match in the snippets:\n%s", stdout)
	}

	stdout, _, err = runCLI(t, "query", "--index", dir, "-n", "20", "--type", "related", "潮虫")
	if err != nil {
		t.Fatal(err)
	}
	hits := regexp.MustCompile(`(?m)^\s*\d+\. (.*潮虫.*)  \[related `).FindAllStringSubmatch(stdout, -1)
	seen := map[string]bool{}
	for _, h := range hits {
		if seen[h[1]] {
			t.Errorf("%s listed twice", h[1])
		}
		seen[h[1]] = true
	}
	if len(seen) != 6 || !strings.HasPrefix(stdout, "6 hits") {
		t.Errorf("want the six 潮虫 items:\n%s", stdout)
	}

	if _, _, err := runCLI(t, "query", "--index", dir, "--type", "video", "医保"); err == nil || !strings.Contains(err.Error(), "type") {
		t.Errorf("query --type video: %v", err)
	}

	// Words after the flags form one query.
	stdout, _, err = runCLI(t, "query", "--index", dir, "-n", "1", "医保卡", "跨省")
	if err != nil || !strings.Contains(stdout, " 1. 医保卡如何跨省使用") {
		t.Errorf("two-word query: %v\n%s", err, stdout)
	}
}

func TestCommandErrors(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		args []string
		want string // in the error
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"index"}, "--src"},
		{[]string{"index", "--index", empty}, "--src"},
		{[]string{"index", "--src", seedsDir, "--index", empty, "--workers", "0"}, "workers"},
		{[]string{"index", "--src", filepath.Join(empty, "missing"), "--index", filepath.Join(empty, "i"), "--log-level", "error"}, "missing"},
		{[]string{"index", "--src", seedsDir, "--index", empty, "--topics", filepath.Join(empty, "none.yaml")}, "topics"},
		{[]string{"index", "--nope"}, "not defined"},
		{[]string{"query", "--index", empty, "医保"}, "no index generation"},
		{[]string{"serve", "--index", empty, "--addr", "127.0.0.1:0"}, "no index generation"},
		{[]string{"serve", "--log-format", "xml"}, "log-format"},
	}
	for _, c := range cases {
		_, _, err := runCLI(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %q: error %v, want one containing %q", c.args, err, c.want)
		}
	}
	stdout, stderr, err := runCLI(t, "frobnicate")
	if err == nil || stdout != "" || !strings.Contains(stderr, "usage: healthsearch") {
		t.Errorf("unknown command should print the usage to stderr: %q %q", stdout, stderr)
	}
	stdout, _, err = runCLI(t, "help")
	if err != nil || !strings.Contains(stdout, "usage: healthsearch") {
		t.Errorf("help: %v %q", err, stdout)
	}
	_, stderr, err = runCLI(t, "index", "-h")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "-src") {
		t.Errorf("index -h: %v\n%s", err, stderr)
	}
}

func TestVersionCommand(t *testing.T) {
	stdout, _, err := runCLI(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	// Under go test the versions may read "(devel)" or a pseudo-version.
	for _, want := range []string{"healthsearch ", "github.com/blevesearch/bleve/v2 ", "github.com/go-ego/gse "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("version output lacks %q:\n%s", want, stdout)
		}
	}
}

// The user dictionary is loaded before the segmenter's first use, so it
// gets a process of its own.
func TestIndexCommandUserDict(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the gse dictionary in a child process")
	}
	dict := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(dict, []byte("跨省共济 60000 n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := mainCommand(t, nil, "index", "--src", seedsDir, "--index", filepath.Join(t.TempDir(), "i"), "--dict", dict, "--log-level", "error").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "articles        5") {
		t.Errorf("index --dict: %v\n%s", err, out)
	}
	out, err = mainCommand(t, nil, "index", "--src", seedsDir, "--index", filepath.Join(t.TempDir(), "i"), "--dict", dict+".missing", "--log-level", "error").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "user dictionary") {
		t.Errorf("index with a missing --dict: %v\n%s", err, out)
	}
}

// A generation records the analysis it was built with and carries its user
// dictionaries: searching it without --dict cuts queries as the build cut
// the text, and with a different --dict is refused, never silently
// different (each step is a process of its own: the segmenter loads once).
func TestDictionaryFollowsTheIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the gse dictionary in child processes")
	}
	tmp := t.TempDir()
	dictA, dictB := filepath.Join(tmp, "a.txt"), filepath.Join(tmp, "b.txt")
	if err := os.WriteFile(dictA, []byte("跨省共济 60000 n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dictB, []byte("医保跨省 60000 n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(tmp, "index")
	if out, err := mainCommand(t, nil, "index", "--src", seedsDir, "--index", idx, "--dict", dictA, "--log-level", "error").CombinedOutput(); err != nil {
		t.Fatalf("index --dict a.txt: %v\n%s", err, out)
	}
	// No --dict: the generation's own copy of a.txt cuts 跨省共济 whole.
	out, err := mainCommand(t, nil, "query", "--index", idx, "--explain", "跨省共济").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "word 跨省共济 (required)") {
		t.Errorf("query without --dict: %v\n%s", err, out)
	}
	// The same words from another path are the same analysis.
	same := filepath.Join(tmp, "copy.txt")
	if err := os.WriteFile(same, []byte("跨省共济 60000 n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := mainCommand(t, nil, "query", "--index", idx, "--dict", same, "跨省共济").CombinedOutput(); err != nil {
		t.Errorf("query with an identical --dict: %v\n%s", err, out)
	}
	// Another dictionary is refused, naming both.
	out, err = mainCommand(t, nil, "query", "--index", idx, "--dict", dictB, "跨省共济").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "analysis differs") || !strings.Contains(string(out), "a.txt") || !strings.Contains(string(out), "b.txt") {
		t.Errorf("query with another --dict: %v\n%s", err, out)
	}
	// serve refuses it the same way, before listening.
	out, err = mainCommand(t, nil, "serve", "--index", idx, "--dict", dictB, "--addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "analysis differs") {
		t.Errorf("serve with another --dict: %v\n%s", err, out)
	}
}

// lockedBuffer collects a child's stderr while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve runs in a child process: it answers the API on the address from
// HEALTHSEARCH_ADDR and shuts down cleanly on SIGTERM.
func TestServeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the gse dictionary in a child process")
	}
	dir := seedIndex(t)
	cmd := mainCommand(t, []string{"HEALTHSEARCH_ADDR=127.0.0.1:0"}, "serve", "--index", dir, "--log-format", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	stopped := false
	defer func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
	}()

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "listening on ") {
				lines <- strings.TrimPrefix(sc.Text(), "listening on ")
			}
		}
		exited <- cmd.Wait()
	}()
	var base string
	select {
	case base = <-lines:
	case err := <-exited:
		stopped = true
		t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
	case <-time.After(2 * time.Minute): // hang guard
		t.Fatalf("serve did not start listening\n%s", stderr.String())
	}

	res, err := http.Get(base + "/api/search?q=" + url.QueryEscape("医保卡跨省"))
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Hits []struct {
			Title     string `json:"title"`
			TitleHTML string `json:"title_html"`
		} `json:"hits"`
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || len(body.Hits) == 0 || body.Hits[0].Title != "医保卡如何跨省使用" || !strings.Contains(body.Hits[0].TitleHTML, "<mark>") {
		t.Errorf("search over HTTP: %d %v %+v", res.StatusCode, err, body)
	}
	if res, err := http.Get(base + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("readyz: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM\n%s", err, stderr.String())
		}
	case <-time.After(2 * time.Minute): // hang guard
		t.Fatal("serve did not stop on SIGTERM")
	}
	if logs := stderr.String(); !strings.Contains(logs, `"msg":"shutting down"`) || !strings.Contains(logs, `"msg":"serving"`) {
		t.Errorf("serve logs:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Error("still answering after shutdown")
	}
}
