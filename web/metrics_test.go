package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"healthsearch/indexer"
	"healthsearch/search"
)

// scrape is one GET /metrics, parsed. The tests read the series the way
// Prometheus does, over HTTP, not from the registry: what counts is what a
// scraper sees.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, h http.Handler) scrape {
	t.Helper()
	rec := serveRecorded(h, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// series returns the metric of family name whose labels include the given
// name/value pairs, or nil.
func (s scrape) series(name string, labels ...string) *dto.Metric {
	fam := s[name]
	if fam == nil {
		return nil
	}
next:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's sample count;
// 0 for a series that does not exist yet.
func (s scrape) value(name string, labels ...string) float64 {
	m := s.series(name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func (s scrape) histogramSum(name string, labels ...string) float64 {
	if m := s.series(name, labels...); m != nil && m.Histogram != nil {
		return m.Histogram.GetSampleSum()
	}
	return 0
}

// moved checks that a series went up by want between two scrapes.
func moved(t *testing.T, before, after scrape, want float64, name string, labels ...string) {
	t.Helper()
	if got := after.value(name, labels...) - before.value(name, labels...); got != want {
		t.Errorf("%s%q moved by %v, want %v", name, labels, got, want)
	}
}

// Searches through the handler move the request, latency and search series
// under route patterns, and the index series describe the live generation.
func TestMetricsMoveWithSearches(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	m := NewMetrics(eng.Stats)
	h := NewHandler(eng, Options{Metrics: m})

	before := scrapeMetrics(t, h)
	var hits float64
	for _, q := range []string{"医保卡跨省", "异地就医备案", "zqxjvbnm"} {
		rec := serveRecorded(h, httptest.NewRequest(http.MethodGet, "/api/search?q="+url.QueryEscape(q), nil))
		var res search.Result
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("search %s: %d %v", q, rec.Code, err)
		}
		hits += float64(res.Total)
	}
	if hits == 0 {
		t.Fatal("the searches found nothing; the hits series would not move")
	}
	serveRecorded(h, httptest.NewRequest(http.MethodGet, "/api/search?size=0", nil))
	// The search page is measured like the API.
	if rec := serveRecorded(h, httptest.NewRequest(http.MethodGet, "/search?q="+url.QueryEscape("医保卡跨省"), nil)); rec.Code != http.StatusOK {
		t.Fatalf("search page: %d", rec.Code)
	}
	var first search.Result
	_ = json.Unmarshal(serveRecorded(h, httptest.NewRequest(http.MethodGet, "/api/search?q="+url.QueryEscape("医保卡跨省"), nil)).Body.Bytes(), &first)
	hits += 2 * float64(first.Total)
	serveRecorded(h, httptest.NewRequest(http.MethodGet, "/api/articles/"+first.Hits[0].ID, nil))
	serveRecorded(h, httptest.NewRequest(http.MethodGet, "/no/such/page", nil))
	after := scrapeMetrics(t, h)

	const requests, duration = "healthsearch_http_requests_total", "healthsearch_http_request_duration_seconds"
	moved(t, before, after, 4, requests, "route", "/api/search", "method", "GET", "status", "200")
	moved(t, before, after, 1, requests, "route", "/api/search", "method", "GET", "status", "400")
	moved(t, before, after, 1, requests, "route", "/search", "method", "GET", "status", "200")
	moved(t, before, after, 1, requests, "route", "/api/articles/:id", "method", "GET", "status", "200")
	moved(t, before, after, 1, requests, "route", "unmatched", "method", "GET", "status", "404")
	moved(t, before, after, 5, duration, "route", "/api/search", "method", "GET")
	// One series per route pattern: an article id never becomes a label.
	for _, s := range after[requests].Metric {
		for _, l := range s.Label {
			if strings.Contains(l.GetValue(), first.Hits[0].ID) || strings.Contains(l.GetValue(), "/no/such") {
				t.Errorf("raw path in a label: %s", l)
			}
		}
	}
	// Five searches ran (the 400 never reached the engine).
	moved(t, before, after, 5, "healthsearch_search_duration_seconds")
	moved(t, before, after, 5, "healthsearch_search_hits")
	if got := after.histogramSum("healthsearch_search_hits") - before.histogramSum("healthsearch_search_hits"); got != hits {
		t.Errorf("hits summed to %v, want %v", got, hits)
	}
	if after.histogramSum("healthsearch_search_duration_seconds") <= before.histogramSum("healthsearch_search_duration_seconds") {
		t.Error("search latency did not grow")
	}

	st := eng.Stats()
	if got := after.value("healthsearch_index_documents"); got != float64(st.Docs) || got == 0 {
		t.Errorf("index documents %v, want %d", got, st.Docs)
	}
	if after.value("healthsearch_index_generation_info", "generation", st.Generation) != 1 {
		t.Errorf("no generation info for %s", st.Generation)
	}
	if after.value("healthsearch_index_built_timestamp_seconds") < float64(st.BuiltAt.Unix()) || st.BuiltAt.IsZero() {
		t.Errorf("built timestamp %v, want %v", after.value("healthsearch_index_built_timestamp_seconds"), st.BuiltAt.Unix())
	}
	// Go runtime and process collectors.
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if after[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

// Reloads are counted by result, as serve wires them (search.Options.
// OnReload → Metrics.ObserveReload), and the generation series follows the
// live generation.
func TestMetricsReloads(t *testing.T) {
	dir := buildSeedIndex(t)
	var m *Metrics
	eng := openSeedEngine(t, dir, search.Options{OnReload: func(_ string, err error) { m.ObserveReload(err) }})
	m = NewMetrics(eng.Stats)
	h := NewHandler(eng, Options{Metrics: m})
	const reloads = "healthsearch_index_reloads_total"
	before := scrapeMetrics(t, h)
	oldGen := eng.Stats().Generation

	sum, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if swapped, err := eng.Reload(); !swapped || err != nil {
		t.Fatalf("reload: %v %v", swapped, err)
	}
	mid := scrapeMetrics(t, h)
	moved(t, before, mid, 1, reloads, "result", "ok")
	moved(t, before, mid, 0, reloads, "result", "error")
	if mid.value("healthsearch_index_generation_info", "generation", sum.Generation) != 1 || mid.series("healthsearch_index_generation_info", "generation", oldGen) != nil {
		t.Errorf("generation series after the reload: %v", mid["healthsearch_index_generation_info"])
	}

	// A generation that cannot be opened: the reload fails, the old one
	// keeps serving.
	if err := os.Mkdir(filepath.Join(dir, "gen-broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte("gen-broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Reload(); err == nil {
		t.Fatal("reloading a broken generation succeeded")
	}
	after := scrapeMetrics(t, h)
	moved(t, mid, after, 0, reloads, "result", "ok")
	moved(t, mid, after, 1, reloads, "result", "error")
	if after.value("healthsearch_index_generation_info", "generation", sum.Generation) != 1 {
		t.Errorf("generation series after a failed reload: %v", after["healthsearch_index_generation_info"])
	}
}

// Builds run by the server's own Manager (POST /api/admin/reindex) are
// timed by result.
func TestMetricsBuildDuration(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	m := NewMetrics(eng.Stats)
	const token, builds = "t0ken", "healthsearch_index_build_duration_seconds"
	reindex := func(mgr *indexer.Manager) {
		t.Helper()
		h := NewHandler(eng, Options{Metrics: m, AdminToken: token, Reindexer: mgr})
		req := httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if rec := serveRecorded(h, req); rec.Code != http.StatusAccepted {
			t.Fatalf("reindex: %d %s", rec.Code, rec.Body)
		}
		mgr.Wait()
	}
	h := NewHandler(eng, Options{Metrics: m})
	before := scrapeMetrics(t, h)
	reindex(indexer.NewManager(indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: t.TempDir()}, m.ObserveBuild))
	mid := scrapeMetrics(t, h)
	moved(t, before, mid, 1, builds, "result", "ok")
	if mid.histogramSum(builds, "result", "ok") <= 0 {
		t.Error("build took no time")
	}
	reindex(indexer.NewManager(indexer.BuildOptions{Sources: []string{filepath.Join(t.TempDir(), "missing")}, IndexDir: t.TempDir()}, m.ObserveBuild))
	after := scrapeMetrics(t, h)
	moved(t, mid, after, 1, builds, "result", "error")
	moved(t, mid, after, 0, builds, "result", "ok")
}
