package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runningServe is `healthsearch serve` started through run() in this
// process, as main would run it.
type runningServe struct {
	base   string // http://127.0.0.1:port
	stderr *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServe runs serve with args until the test stops it. The address is
// read from the "listening on" line serve prints, so 127.0.0.1:0 works.
func startServe(t *testing.T, args ...string) *runningServe {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	old := serveContext
	serveContext = func() context.Context { return ctx }
	s := &runningServe{stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	stdoutR, stdoutW := io.Pipe()
	go func() {
		err := run(append([]string{"serve"}, args...), stdoutW, s.stderr)
		stdoutW.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(time.Minute): // hang guard
			t.Error("serve did not stop")
		}
		serveContext = old
	})

	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdoutR)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				listening <- addr
			}
		}
		// Keep reading until serve closes stdout, so it never blocks on it.
		io.Copy(io.Discard, stdoutR)
	}()
	select {
	case s.base = <-listening:
	case err := <-s.done:
		s.done <- err // for the cleanup
		t.Fatalf("serve exited early: %v\n%s", err, s.stderr)
	case <-time.After(2 * time.Minute): // hang guard
		t.Fatalf("serve did not start\n%s", s.stderr)
	}
	return s
}

// stop ends serve the way the hook allows and returns its result.
func (s *runningServe) stop(t *testing.T) error {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(time.Minute): // hang guard
		t.Fatal("serve did not stop")
		return nil
	}
}

func (s *runningServe) get(t *testing.T, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// metricValue reads one series from Prometheus text, 0 when absent.
func metricValue(t *testing.T, exposition, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(exposition)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// serve in-process: probes, metrics that move with a search, the settings
// from the environment (CORS, admin token) reaching the handler, and a
// clean stop when its context ends.
func TestServeRun(t *testing.T) {
	dir := seedIndex(t)
	t.Setenv("HEALTHSEARCH_LOG_FORMAT", "json")
	t.Setenv("HEALTHSEARCH_CORS_ORIGINS", "https://site.example")
	t.Setenv("HEALTHSEARCH_ADMIN_TOKEN", "serve-test-token")
	t.Setenv("HEALTHSEARCH_SRC", seedsDir)
	s := startServe(t, "--index", dir, "--addr", "127.0.0.1:0")

	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`} {
		if res, body := s.get(t, path); res.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, body)
		}
	}

	const searches = `healthsearch_http_requests_total{method="GET",route="/api/search",status="200"}`
	_, before := s.get(t, "/metrics")
	if metricValue(t, before, "healthsearch_index_documents") == 0 || !strings.Contains(before, "go_goroutines") {
		t.Errorf("metrics lack the index or runtime series:\n%s", before)
	}
	res, body := s.get(t, "/api/search?q="+url.QueryEscape("医保卡跨省"), "Origin", "https://site.example")
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://site.example" {
		t.Errorf("search from the configured origin: %d %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	var result struct {
		Hits []struct{ Title string } `json:"hits"`
	}
	if err := json.Unmarshal([]byte(body), &result); err != nil || len(result.Hits) == 0 || result.Hits[0].Title != "医保卡如何跨省使用" {
		t.Errorf("search: %v %s", err, body)
	}
	if res, _ := s.get(t, "/api/search?q=x", "Origin", "https://other.example"); res.StatusCode != http.StatusForbidden {
		t.Errorf("search from another origin: %d", res.StatusCode)
	}
	_, after := s.get(t, "/metrics")
	if got := metricValue(t, after, searches) - metricValue(t, before, searches); got != 1 {
		t.Errorf("%s moved by %v, want 1", searches, got)
	}
	if res, body := s.get(t, "/api/admin/reindex", "Authorization", "Bearer serve-test-token"); res.StatusCode != http.StatusOK || !strings.Contains(body, `"running":false`) {
		t.Errorf("admin status with the token from the environment: %d %s", res.StatusCode, body)
	}

	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after its context ended\n%s", err, s.stderr)
	}
	logs := s.stderr.String()
	for _, want := range []string{`"msg":"serving"`, `"msg":"request"`, `"route":"/api/search"`, `"msg":"shutting down"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "医保") || strings.Contains(logs, "serve-test-token") {
		t.Errorf("query text or the token in the logs:\n%s", logs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/healthz", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Error("still answering after the stop")
	}
}

// A config file alone can drive serve; a flag still beats it.
func TestServeRunFromConfigFile(t *testing.T) {
	dir := seedIndex(t)
	file := filepath.Join(t.TempDir(), "healthsearch.yaml")
	conf := "index: " + strconv.Quote(dir) + "\naddr: 127.0.0.1:1\nlog_format: json\nlog_queries: true\n"
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--config", file, "--addr", "127.0.0.1:0")
	if res, _ := s.get(t, "/api/search?q="+url.QueryEscape("家庭共济")); res.StatusCode != http.StatusOK {
		t.Errorf("search: %d", res.StatusCode)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	// log_queries from the file: the query is logged.
	if logs := s.stderr.String(); !strings.Contains(logs, url.QueryEscape("家庭共济")) {
		t.Errorf("log_queries from the file did not apply:\n%s", logs)
	}
}

// A setting that cannot work stops serve before it listens, naming it.
func TestServeRunRejectsBadSettings(t *testing.T) {
	t.Setenv("HEALTHSEARCH_REQUEST_TIMEOUT", "soon")
	var stderr lockedBuffer
	err := run([]string{"serve", "--index", t.TempDir()}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "request_timeout") || !strings.Contains(err.Error(), "HEALTHSEARCH_REQUEST_TIMEOUT") {
		t.Errorf("serve with a bad timeout: %v", err)
	}
}
