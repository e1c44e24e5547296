package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"healthsearch/search"
)

// logLines collects a JSON slog handler's output; the server logs from its
// own goroutines.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// records decodes every line, failing on one that is not a JSON object.
func (l *logLines) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, rec)
	}
	return out
}

func jsonLogger(w *logLines, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// A personal health question, the kind of text that must stay out of logs.
const privateQuestion = "糖尿病 医保 报销"

func requestLogged(t *testing.T, h http.Handler, logs *logLines, target, requestID string) (header http.Header, rec map[string]any) {
	t.Helper()
	before := len(logs.records(t))
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if requestID != "" {
		req.Header.Set("X-Request-ID", requestID)
	}
	res := serveRecorded(h, req)
	var lines []map[string]any
	for _, r := range logs.records(t)[before:] {
		if r["msg"] == "request" {
			lines = append(lines, r)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("GET %s: %d request log lines, want 1:\n%s", target, len(lines), logs)
	}
	return res.Header(), lines[0]
}

// One JSON line per request, with method, route pattern, status, latency
// and the request id that the response echoes.
func TestRequestLogLine(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	var logs logLines
	h := NewHandler(eng, Options{Logger: jsonLogger(&logs, slog.LevelInfo)})

	header, rec := requestLogged(t, h, &logs, "/api/search?q="+url.QueryEscape(privateQuestion), "client-id.42")
	want := map[string]any{"level": "INFO", "method": "GET", "route": "/api/search", "status": float64(200), "request_id": "client-id.42"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("log field %s = %v, want %v (line %v)", k, rec[k], v, rec)
		}
	}
	if ms, ok := rec["latency_ms"].(float64); !ok || ms < 0 {
		t.Errorf("latency_ms %v", rec["latency_ms"])
	}
	if got := header.Get("X-Request-ID"); got != "client-id.42" {
		t.Errorf("X-Request-ID %q, want the client's", got)
	}

	// A route pattern, not the path; an id made up when the client's is not sane.
	header, rec = requestLogged(t, h, &logs, "/api/articles/a0000000000000000", "not sane")
	if rec["route"] != "/api/articles/:id" || rec["status"] != float64(404) {
		t.Errorf("route and status of a 404: %v", rec)
	}
	id := header.Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) || rec["request_id"] != id {
		t.Errorf("generated id %q, logged %v", id, rec["request_id"])
	}
	_, rec = requestLogged(t, h, &logs, "/nowhere?q=x", "")
	if rec["route"] != "unmatched" || rec["status"] != float64(404) {
		t.Errorf("unmatched path logged as %v", rec)
	}
}

// Query text stays out of logs at info level, from the API and the page
// alike; LogQueries puts it in, and debug level has it on a line of its own.
func TestRequestLogQueryPrivacy(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	targets := []string{
		"/api/search?q=" + url.QueryEscape(privateQuestion),
		"/search?q=" + url.QueryEscape(privateQuestion),
		"/api/suggest?q=" + url.QueryEscape("糖尿"),
		"/api/search?q=" + url.QueryEscape(privateQuestion) + "&size=0", // a 400 quotes nothing either
	}
	// The raw query of a URL has the text percent-encoded.
	mentions := func(s, text string) bool {
		return strings.Contains(s, text) || strings.Contains(s, url.QueryEscape(text))
	}

	var info logLines
	h := NewHandler(eng, Options{Logger: jsonLogger(&info, slog.LevelInfo)})
	for _, target := range targets {
		serveRecorded(h, httptest.NewRequest(http.MethodGet, target, nil))
	}
	requests := 0
	for _, r := range info.records(t) {
		if r["msg"] == "request" {
			requests++
		}
	}
	if out := info.String(); mentions(out, "糖尿") || strings.Contains(out, "q=") || requests != len(targets) {
		t.Errorf("info-level logs carry query text, or not one line per request:\n%s", out)
	}

	var withQueries logLines
	h = NewHandler(eng, Options{Logger: jsonLogger(&withQueries, slog.LevelInfo), LogQueries: true})
	for _, target := range targets[:2] {
		_, rec := requestLogged(t, h, &withQueries, target, "")
		q, _ := rec["query"].(string)
		if v, err := url.ParseQuery(q); err != nil || v.Get("q") != privateQuestion {
			t.Errorf("%s: logged query %q, want the query", target, q)
		}
	}

	var debug logLines
	h = NewHandler(eng, Options{Logger: jsonLogger(&debug, slog.LevelDebug)})
	_, rec := requestLogged(t, h, &debug, targets[0], "debug-id")
	if _, ok := rec["query"]; ok {
		t.Errorf("the info line has the query at debug level: %v", rec)
	}
	found := false
	for _, r := range debug.records(t) {
		if r["level"] == "DEBUG" && r["request_id"] == "debug-id" {
			q, _ := r["query"].(string)
			v, _ := url.ParseQuery(q)
			found = v.Get("q") == privateQuestion
		}
	}
	if !found {
		t.Errorf("no debug line with the query:\n%s", debug.String())
	}
}
