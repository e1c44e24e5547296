package web

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"healthsearch/search"
)

const allowedOrigin = "https://health.example.org"

func corsRequest(h http.Handler, method, target, origin string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return serveRecorded(h, req)
}

func accessControlHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func TestCORSAllowedOrigin(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	h := NewHandler(eng, Options{CORSOrigins: []string{allowedOrigin, "https://other.example"}})

	for _, target := range []string{"/api/search?q=x", "/api/suggest?q=yb", "/api/facets", "/api/openapi.json"} {
		rec := corsRequest(h, http.MethodGet, target, allowedOrigin)
		if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != allowedOrigin {
			t.Errorf("GET %s from %s: %d, Allow-Origin %q", target, allowedOrigin, rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
		}
		if !strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id") && !strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "X-Request-ID") {
			t.Errorf("GET %s: X-Request-ID not exposed: %q", target, rec.Header().Get("Access-Control-Expose-Headers"))
		}
		// Caches must not hand one origin's answer to another.
		if !slices.Contains(rec.Header().Values("Vary"), "Origin") {
			t.Errorf("GET %s: Vary %q lacks Origin", target, rec.Header().Values("Vary"))
		}
	}
	// A script sending X-Request-ID needs a preflight; it is answered.
	rec := corsRequest(h, http.MethodOptions, "/api/search?q=x", allowedOrigin,
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-request-id")
	if rec.Code >= 300 || rec.Header().Get("Access-Control-Allow-Origin") != allowedOrigin ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "GET") ||
		!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "x-request-id") ||
		rec.Header().Get("Access-Control-Max-Age") == "" {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	// Credentials are never allowed: the API has no cookies to protect.
	if got := corsRequest(h, http.MethodGet, "/api/search?q=x", allowedOrigin).Header().Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Allow-Credentials %q", got)
	}
}

func TestCORSRefusedOrigin(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	h := NewHandler(eng, Options{CORSOrigins: []string{allowedOrigin}})
	for _, origin := range []string{"https://evil.example", "https://health.example.org.evil.example", "http://health.example.org", "null"} {
		rec := corsRequest(h, http.MethodGet, "/api/search?q=x", origin)
		if rec.Code != http.StatusForbidden || len(accessControlHeaders(rec.Header())) > 0 {
			t.Errorf("GET from %s: %d %v", origin, rec.Code, accessControlHeaders(rec.Header()))
		}
		rec = corsRequest(h, http.MethodOptions, "/api/search", origin, "Access-Control-Request-Method", "GET")
		if rec.Code != http.StatusForbidden || len(accessControlHeaders(rec.Header())) > 0 {
			t.Errorf("preflight from %s: %d %v", origin, rec.Code, accessControlHeaders(rec.Header()))
		}
	}
	// Clients that send no Origin (curl, servers) are not browsers: CORS
	// does not concern them.
	if rec := corsRequest(h, http.MethodGet, "/api/search?q=x", ""); rec.Code != http.StatusOK || len(accessControlHeaders(rec.Header())) > 0 {
		t.Errorf("GET without Origin: %d %v", rec.Code, accessControlHeaders(rec.Header()))
	}
	// Only the API has CORS; pages and probes answer as always.
	if rec := corsRequest(h, http.MethodGet, "/healthz", "https://evil.example"); rec.Code != http.StatusOK || len(accessControlHeaders(rec.Header())) > 0 {
		t.Errorf("GET /healthz from another origin: %d %v", rec.Code, accessControlHeaders(rec.Header()))
	}
}

// With no origins configured (the default) there is no CORS at all: no
// headers, and browsers keep other sites from reading the answers.
func TestCORSNoneByDefault(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	h := NewHandler(eng, Options{})
	rec := corsRequest(h, http.MethodGet, "/api/search?q=x", allowedOrigin)
	if rec.Code != http.StatusOK || len(accessControlHeaders(rec.Header())) > 0 {
		t.Errorf("GET with Origin: %d %v", rec.Code, accessControlHeaders(rec.Header()))
	}
	rec = corsRequest(h, http.MethodOptions, "/api/search", allowedOrigin, "Access-Control-Request-Method", "GET")
	if rec.Code < 400 || len(accessControlHeaders(rec.Header())) > 0 {
		t.Errorf("preflight: %d %v", rec.Code, accessControlHeaders(rec.Header()))
	}
}

// A page on one origin calls the API on another from a real browser, with
// the embed script of docs/embedding.md: it works when the page's origin
// is in the API server's allow-list and is refused when it is not.
func TestCORSFromBrowser(t *testing.T) {
	ctx, events := headlessChromium(t, embedBrowserTimeout)
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})

	// The site's address must be known before the API servers start, to
	// put it in one's allow-list; its page needs theirs.
	siteListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	site := "http://" + siteListener.Addr().String()
	allowing := &statusRecorder{h: NewHandler(eng, Options{CORSOrigins: []string{site}})}
	refusing := &statusRecorder{h: NewHandler(eng, Options{CORSOrigins: []string{allowedOrigin}})}
	apiA, apiB := httptest.NewServer(allowing), httptest.NewServer(refusing)
	defer apiA.Close()
	defer apiB.Close()

	page := fmt.Sprintf(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>某健康网站</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="%[1]s/embed/search.css">
<script src="%[1]s/embed/search.js" defer></script>
</head><body>
<form id="allowed" action="%[1]s/search" data-healthsearch data-results="allowed-results">
<input id="allowed-q" name="q" type="search"><button>搜索</button></form>
<div id="allowed-results"></div>
<form id="refused" action="%[2]s/search" data-healthsearch data-results="refused-results">
<input id="refused-q" name="q" type="search"><button>搜索</button></form>
<div id="refused-results"></div>
</body></html>`, html.EscapeString(apiA.URL), html.EscapeString(apiB.URL))
	siteServer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	siteServer.Listener.Close()
	siteServer.Listener = siteListener
	siteServer.Start()
	defer siteServer.Close()

	var title, refusal string
	runBrowser(t, ctx, "search on an allowed origin",
		chromedp.Navigate(site+"/"),
		chromedp.WaitVisible("#allowed-q", chromedp.ByID),
		chromedp.SendKeys("#allowed-q", "医保卡跨省", chromedp.ByID),
		chromedp.SendKeys("#allowed-q", kb.Enter, chromedp.ByID),
		chromedp.WaitVisible("#allowed-results .hs-hit", chromedp.ByQuery),
		chromedp.Text("#allowed-results .hs-title", &title, chromedp.ByQuery),
	)
	if title != "医保卡如何跨省使用" {
		t.Errorf("first result from the allowing server %q", title)
	}
	runBrowser(t, ctx, "search on a refused origin",
		chromedp.SendKeys("#refused-q", "医保卡跨省", chromedp.ByID),
		chromedp.SendKeys("#refused-q", kb.Enter, chromedp.ByID),
		chromedp.WaitVisible("#refused-results .hs-error", chromedp.ByQuery),
		chromedp.Text("#refused-results .hs-error", &refusal, chromedp.ByQuery),
	)
	if refusal == "" {
		t.Error("no error shown for the refused search")
	}
	// The refusal was the server's, not a network failure.
	if got := refusing.statuses("GET /api/search"); len(got) != 1 || got[0] != http.StatusForbidden {
		t.Errorf("refusing server answered the search with %v, want [403]", got)
	}
	if got := allowing.statuses("GET /api/search"); len(got) != 1 || got[0] != http.StatusOK {
		t.Errorf("allowing server answered the search with %v, want [200]", got)
	}
	if dialogs, _ := events.snapshot(); len(dialogs) > 0 {
		t.Errorf("dialogs %q", dialogs)
	}
}

// statusRecorder notes the status of every request a server answers.
type statusRecorder struct {
	h    http.Handler
	mu   sync.Mutex
	seen map[string][]int // by "METHOD path"
}

func (s *statusRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.h.ServeHTTP(sw, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[string][]int{}
	}
	key := r.Method + " " + r.URL.Path
	s.seen[key] = append(s.seen[key], sw.status)
}

func (s *statusRecorder) statuses(key string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen[key])
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
