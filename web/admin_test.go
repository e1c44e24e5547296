package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"healthsearch/indexer"
	"healthsearch/search"
)

// gatedBuild holds every page of a build until released, so a test can
// look at a build that is certainly still running.
type gatedBuild struct {
	release chan struct{}
	once    sync.Once
	entered chan struct{}
}

func newGatedBuild() *gatedBuild {
	return &gatedBuild{release: make(chan struct{}), entered: make(chan struct{})}
}

func (g *gatedBuild) enrich(title, text string) indexer.Enrichment {
	g.once.Do(func() { close(g.entered) })
	<-g.release
	return indexer.Enrichment{}
}

func adminRequest(t *testing.T, client *http.Client, method, url, auth string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, body
}

func decodeStatus(t *testing.T, body []byte) indexer.BuildStatus {
	t.Helper()
	var st indexer.BuildStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("build status %s: %v", body, err)
	}
	return st
}

// Without a token, or without anything to run builds, there is no admin
// surface at all: the routes do not exist.
func TestAdminRoutesNeedToken(t *testing.T) {
	for name, opts := range map[string]Options{
		"no token":     {Reindexer: stubReindexer{}},
		"no reindexer": {AdminToken: "t"},
	} {
		h := NewHandler(brokenSearcher{}, opts)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req := httptest.NewRequest(method, "/api/admin/reindex", nil)
			req.Header.Set("Authorization", "Bearer t")
			if rec := serveRecorded(h, req); rec.Code != http.StatusNotFound {
				t.Errorf("%s: %s /api/admin/reindex answered %d, want 404", name, method, rec.Code)
			}
		}
	}
}

func TestAdminRejectsBadCredentials(t *testing.T) {
	const token = "correct-horse-battery"
	var logs logLines
	started := false
	h := NewHandler(brokenSearcher{}, Options{AdminToken: token, Reindexer: startRecorder{&started}, Logger: jsonLogger(&logs, slog.LevelDebug)})
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + token + "x", "Bearer " + token[:5], "Basic " + token, token, "Bearer  " + token} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req := httptest.NewRequest(method, "/api/admin/reindex", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := serveRecorded(h, req)
			if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s with Authorization %q: %d %q", method, auth, rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthorized" {
				t.Errorf("401 body %s", rec.Body)
			}
		}
	}
	if started {
		t.Error("a build started without the token")
	}
	if strings.Contains(logs.String(), token[:8]) {
		t.Errorf("the token reached the log:\n%s", logs.String())
	}
}

// startRecorder notes whether Start was called.
type startRecorder struct{ started *bool }

func (s startRecorder) Start(context.Context) error { *s.started = true; return nil }
func (s startRecorder) Status() indexer.BuildStatus { return indexer.BuildStatus{} }

// The whole admin flow over HTTP with a real Manager: start, busy while it
// runs, progress, the summary after it, and the server serving the new
// generation. The build runs past the request that started it.
func TestAdminReindex(t *testing.T) {
	const token = "s3cret-admin"
	dir := buildSeedIndex(t)
	eng := openSeedEngine(t, dir, search.Options{})
	oldGen := eng.Stats().Generation
	gate := newGatedBuild()
	mgr := indexer.NewManager(indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: dir, Workers: 2, Enrich: gate.enrich}, nil)
	srv := httptest.NewServer(NewHandler(eng, Options{AdminToken: token, Reindexer: mgr}))
	defer srv.Close()
	defer mgr.Wait()
	releaseOnce := sync.OnceFunc(func() { close(gate.release) })
	defer releaseOnce() // a failing test must not leave the build blocked
	api := srv.URL + "/api/admin/reindex"
	auth := "Bearer " + token

	status, _, body := adminRequest(t, srv.Client(), http.MethodGet, api, auth)
	if st := decodeStatus(t, body); status != http.StatusOK || st.Running || st.StartedAt != nil || st.Last != nil {
		t.Errorf("status before any build: %d %s", status, body)
	}
	status, _, body = adminRequest(t, srv.Client(), http.MethodPost, api, auth)
	if st := decodeStatus(t, body); status != http.StatusAccepted || !st.Running || st.StartedAt == nil {
		t.Fatalf("start: %d %s", status, body)
	}
	<-gate.entered // the build is reading pages, after its request ended

	status, _, body = adminRequest(t, srv.Client(), http.MethodPost, api, auth)
	var e ErrorBody
	if err := json.Unmarshal(body, &e); status != http.StatusConflict || err != nil || e.Error.Code != "busy" {
		t.Errorf("second start while running: %d %s", status, body)
	}
	status, _, body = adminRequest(t, srv.Client(), http.MethodGet, api, auth)
	if st := decodeStatus(t, body); status != http.StatusOK || !st.Running || st.FinishedAt != nil {
		t.Errorf("status while running: %d %s", status, body)
	}

	releaseOnce()
	mgr.Wait()
	status, _, body = adminRequest(t, srv.Client(), http.MethodGet, api, auth)
	st := decodeStatus(t, body)
	if status != http.StatusOK || st.Running || st.FinishedAt == nil || st.Error != "" || st.Last == nil || st.Last.Articles != len(seedPages(t)) {
		t.Fatalf("status after the build: %d %s", status, body)
	}
	// serve's watcher would do this within a second.
	if swapped, err := eng.Reload(); !swapped || err != nil {
		t.Fatalf("reload after the build: %v %v", swapped, err)
	}
	if got := eng.Stats().Generation; got != st.Last.Generation || got == oldGen {
		t.Errorf("serving %s, built %s (was %s)", got, st.Last.Generation, oldGen)
	}
	res, err := srv.Client().Get(srv.URL + "/api/search?q=" + url.QueryEscape("医保卡跨省"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("search after the reindex: %v %v", res, err)
	}
	res.Body.Close()
}

// Shutting the server down (its BaseContext ending) cancels a build.
func TestAdminReindexStopsWithServer(t *testing.T) {
	const token = "s3cret-admin"
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	gate := newGatedBuild()
	mgr := indexer.NewManager(indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: t.TempDir(), Workers: 1, Enrich: gate.enrich}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := NewHandler(eng, Options{AdminToken: token, Reindexer: mgr, BaseContext: ctx})
	req := httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if rec := serveRecorded(h, req); rec.Code != http.StatusAccepted {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	<-gate.entered
	cancel()
	close(gate.release)
	mgr.Wait()
	if st := mgr.Status(); st.Running || !strings.Contains(st.Error, context.Canceled.Error()) {
		t.Errorf("status after the server stopped: %+v", st)
	}
}

func seedPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join("..", "seeds", "*.txt"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("seed pages: %v %d", err, len(pages))
	}
	return pages
}
