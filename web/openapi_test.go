package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"

	"healthsearch/indexer"
	"healthsearch/search"
)

// buildSeedIndex indexes the bundled seeds into a fresh directory. Tests
// that reload or rebuild get an index of their own to change.
func buildSeedIndex(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: dir}); err != nil {
		t.Fatalf("build seeds index: %v", err)
	}
	return dir
}

// openSeedEngine opens the index in dir, closed when the test ends.
func openSeedEngine(t testing.TB, dir string, opts search.Options) *search.Engine {
	t.Helper()
	eng, err := search.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	return eng
}

// brokenSearcher fails every call with err, for the 500 and 503 answers.
type brokenSearcher struct{ err error }

func (b brokenSearcher) Search(context.Context, search.Request) (*search.Result, error) {
	return nil, b.err
}
func (b brokenSearcher) Document(context.Context, string) (*search.Document, error) {
	return nil, b.err
}
func (b brokenSearcher) Suggest(context.Context, string, int) ([]search.Suggestion, error) {
	return nil, b.err
}
func (b brokenSearcher) AllFacets(context.Context) (search.Facets, error) {
	return search.Facets{}, b.err
}
func (b brokenSearcher) Ready(context.Context) error { return b.err }
func (b brokenSearcher) Hints(context.Context, search.Request) (*search.Hints, error) {
	return nil, b.err
}

// stubReindexer answers Start with err, for the answers a real build
// cannot produce on demand (busy, failing to start).
type stubReindexer struct{ err error }

func (s stubReindexer) Start(context.Context) error { return s.err }
func (s stubReindexer) Status() indexer.BuildStatus { return indexer.BuildStatus{} }

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// htmlRoute reports whether a gin route serves HTML pages or their assets,
// which the OpenAPI document of the JSON API leaves out on purpose.
func htmlRoute(path string) bool {
	if path == "/" || path == "/search" {
		return true
	}
	for _, prefix := range []string{"/articles/", "/static/", "/embed/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// openAPIPath turns a gin pattern (/api/articles/:id) into the document's
// form (/api/articles/{id}).
func openAPIPath(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// TestOpenAPIRoutes keeps the document and the router in step: every
// non-page route the server has is documented, and every documented
// operation is a route.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	// Admin routes and the CORS preflight exist only when configured.
	h := NewHandler(brokenSearcher{}, Options{AdminToken: "t", Reindexer: stubReindexer{}, CORSOrigins: []string{"https://a.example"}})
	served := map[string]bool{}
	for _, r := range h.(*gin.Engine).Routes() {
		if htmlRoute(r.Path) {
			continue
		}
		// Preflights belong to CORS, not to the API's operations.
		if r.Method == http.MethodOptions && strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		key := r.Method + " " + openAPIPath(r.Path)
		served[key] = true
		item := doc.Paths.Value(openAPIPath(r.Path))
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which the server does not have", method, path)
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := NewHandler(brokenSearcher{}, Options{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET /api/openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPIDocument) {
		t.Error("served document differs from the embedded one")
	}
	var v struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || !strings.HasPrefix(v.OpenAPI, "3.") {
		t.Errorf("served document: %v %q", err, v.OpenAPI)
	}
}

// apiExchange is one real request to a handler, with what it must answer.
type apiExchange struct {
	name   string
	h      http.Handler
	req    *http.Request
	status int
}

// TestOpenAPIResponses sends real requests to the real handler over a real
// index (and to failing fakes for the 5xx answers) and validates every
// response against the document. It also fails when a documented response
// is not exercised, so the document cannot grow answers nobody checks.
func TestOpenAPIResponses(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}

	const token = "admin-secret"
	const allowed, refused = "https://allowed.example", "https://refused.example"
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	metrics := NewMetrics(eng.Stats)
	mgr := indexer.NewManager(indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: t.TempDir()}, metrics.ObserveBuild)
	t.Cleanup(mgr.Wait)
	live := NewHandler(eng, Options{AdminToken: token, Reindexer: mgr, CORSOrigins: []string{allowed}, Metrics: metrics})
	busy := NewHandler(eng, Options{AdminToken: token, Reindexer: stubReindexer{indexer.ErrBuildRunning}})
	cannotStart := NewHandler(eng, Options{AdminToken: token, Reindexer: stubReindexer{errors.New("disk full")}})
	failing := NewHandler(brokenSearcher{errors.New("index corrupt")}, Options{})
	slow := NewHandler(brokenSearcher{fmt.Errorf("search: %w", context.DeadlineExceeded)}, Options{})

	var first search.Result
	if err := json.Unmarshal(serveRecorded(live, httptest.NewRequest(http.MethodGet, "/api/search?q="+url.QueryEscape("医保卡跨省"), nil)).Body.Bytes(), &first); err != nil || len(first.Hits) == 0 {
		t.Fatalf("no hits to take ids from: %v", err)
	}
	var related search.Result
	if err := json.Unmarshal(serveRecorded(live, httptest.NewRequest(http.MethodGet, "/api/search?type=related&size=1", nil)).Body.Bytes(), &related); err != nil || len(related.Hits) == 0 {
		t.Fatalf("no related items: %v", err)
	}

	get := func(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }
	withHeader := func(r *http.Request, k, v string) *http.Request { r.Header.Set(k, v); return r }
	bearer := func(r *http.Request, tok string) *http.Request { return withHeader(r, "Authorization", "Bearer "+tok) }
	q := url.QueryEscape

	exchanges := []apiExchange{
		{"search", live, get("/api/search?q=" + q("医保卡跨省")), 200},
		{"search with every parameter", live, get("/api/search?q=" + q("医保") + "&type=related&province=" + q("广西") + "&province=" + q("陕西") +
			"&city=" + q("崇左") + "&topic=" + q("医保") + "&date_from=2025-01-01&date_to=2025-12-31&sort=date&page=1&size=5"), 200},
		{"search with selected facets", live, get("/api/search?province=" + q("广西") + "&topic=" + q("异地就医")), 200},
		{"search listing everything", live, get("/api/search"), 200},
		{"search, second page", live, get("/api/search?q=" + q("医保") + "&page=2&size=3"), 200},
		{"search without hits", live, get("/api/search?q=zqxjvbnm"), 200},
		{"search explained", live, get("/api/search?explain=1&q=" + q("医保卡跨省")), 200},
		{"search explained, a question", live, get("/api/search?explain=1&q=" + q("请问一下医保卡能不能在外地的医院看病报销呢")), 200},
		{"search explain not a flag", live, get("/api/search?explain=yes&q=x"), 400},
		{"hints for a filtered search that finds nothing", live, get("/api/hints?q=" + q("医保卡 跨省") + "&province=" + q("西藏") + "&topic=" + q("疫苗") + "&date_from=2020-01-01&date_to=2020-01-31"), 200},
		{"hints for a query that finds nothing", live, get("/api/hints?q=" + q("医保卡qqzxwv")), 200},
		{"hints with a bad parameter", live, get("/api/hints?size=0"), 400},
		{"hints engine failure", failing, get("/api/hints?q=x"), 500},
		{"hints timeout", slow, get("/api/hints?q=x"), 503},
		{"search with fuzzy pinyin", live, get("/api/search?fuzzy_pinyin=1&q=" + q("医保卡跨森")), 200},
		{"search matching some words", live, get("/api/search?q=" + q("医保卡 zqxjvbnm")), 200},
		{"search from an allowed origin", live, withHeader(get("/api/search?q="+q("医保")), "Origin", allowed), 200},
		{"search size 0", live, get("/api/search?size=0"), 400},
		{"search size 101", live, get("/api/search?size=101"), 400},
		{"search page 0", live, get("/api/search?page=0"), 400},
		{"search page not a number", live, get("/api/search?page=two"), 400},
		{"search past the window", live, get("/api/search?page=200&size=100"), 400},
		{"search bad sort", live, get("/api/search?sort=popular"), 400},
		{"search bad type", live, get("/api/search?type=video"), 400},
		{"search bad date", live, get("/api/search?date_from=2025-13-01"), 400},
		{"search dates reversed", live, get("/api/search?date_from=2025-05-01&date_to=2025-01-01"), 400},
		{"search query too long", live, get("/api/search?q=" + q(strings.Repeat("医", 201))), 400},
		{"search q twice", live, get("/api/search?q=a&q=b"), 400},
		{"search engine failure", failing, get("/api/search?q=x"), 500},
		{"search timeout", slow, get("/api/search?q=x"), 503},

		{"article", live, get("/api/articles/" + first.Hits[0].ID), 200},
		{"related item", live, get("/api/articles/" + related.Hits[0].ID), 200},
		{"unknown document", live, get("/api/articles/a0000000000000000"), 404},
		{"document engine failure", failing, get("/api/articles/a1"), 500},
		{"document timeout", slow, get("/api/articles/a1"), 503},

		{"suggest", live, get("/api/suggest?q=" + q("医保")), 200},
		{"suggest pinyin", live, get("/api/suggest?q=yb&size=3"), 200},
		{"suggest nothing", live, get("/api/suggest?q=zqxj"), 200},
		{"suggest empty", live, get("/api/suggest"), 200},
		{"suggest size 0", live, get("/api/suggest?q=a&size=0"), 400},
		{"suggest size 21", live, get("/api/suggest?q=a&size=21"), 400},
		{"suggest prefix too long", live, get("/api/suggest?q=" + strings.Repeat("a", 51)), 400},
		{"suggest engine failure", failing, get("/api/suggest?q=a"), 500},
		{"suggest timeout", slow, get("/api/suggest?q=a"), 503},

		{"facets", live, get("/api/facets"), 200},
		{"facets engine failure", failing, get("/api/facets"), 500},
		{"facets timeout", slow, get("/api/facets"), 503},

		{"reindex status before a build", live, bearer(get("/api/admin/reindex"), token), 200},
		{"reindex status without token", live, get("/api/admin/reindex"), 401},
		{"reindex status wrong token", live, bearer(get("/api/admin/reindex"), "guess"), 401},
		{"reindex start", live, bearer(httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil), token), 202},
		{"reindex without token", live, httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil), 401},
		{"reindex wrong token", live, bearer(httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil), "guess"), 401},
		{"reindex while busy", busy, bearer(httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil), token), 409},
		{"reindex cannot start", cannotStart, bearer(httptest.NewRequest(http.MethodPost, "/api/admin/reindex", nil), token), 500},

		{"openapi", live, get("/api/openapi.json"), 200},
		{"healthz", live, get("/healthz"), 200},
		{"readyz", live, get("/readyz"), 200},
		{"readyz not ready", failing, get("/readyz"), 503},
		{"metrics", live, get("/metrics"), 200},
	}
	// Every /api/ operation refuses a browser on an origin outside the list.
	for path, item := range doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for method := range item.Operations() {
			req := httptest.NewRequest(method, strings.ReplaceAll(path, "{id}", first.Hits[0].ID), nil)
			exchanges = append(exchanges, apiExchange{"refused origin " + method + " " + path, live, withHeader(bearer(req, token), "Origin", refused), 403})
		}
	}
	// The status of a finished build carries its summary.
	exchanges = append(exchanges, apiExchange{"reindex status after a build", live, nil, 200})

	// Some exchanges are there for an optional part of a schema; their
	// bodies must show that part, or it would go unchecked.
	reaches := map[string]string{
		"search matching some words":   `"relaxed":true`,
		"search with selected facets":  `"selected":true`,
		"article":                      `"related":[{`,
		"related item":                 `"articles":[{`,
		"reindex start":                `"started_at":`,
		"reindex status after a build": `"last":{`,
	}
	// Name the failing field and the rule instead of dumping the schema.
	responseOptions := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	responseOptions.WithCustomSchemaErrorFunc(func(e *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(e.JSONPointer(), "/"), e.Reason)
	})
	exercised := map[string]bool{}
	for _, ex := range exchanges {
		if ex.req == nil { // after the build started above
			mgr.Wait()
			ex.req = bearer(get("/api/admin/reindex"), token)
		}
		t.Run(ex.name, func(t *testing.T) {
			// Read before serving: validation decodes the query again.
			target := ex.req.Method + " " + ex.req.URL.RequestURI()
			rec := serveRecorded(ex.h, ex.req)
			if rec.Code != ex.status {
				t.Fatalf("%s: status %d, want %d: %s", target, rec.Code, ex.status, rec.Body)
			}
			if want := reaches[ex.name]; !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s: body lacks %s: %s", target, want, truncate(rec.Body.String(), 2000))
			}
			route, params, err := router.FindRoute(ex.req)
			if err != nil {
				t.Fatalf("%s: not in openapi.json: %v", target, err)
			}
			in := &openapi3filter.RequestValidationInput{
				Request:    ex.req,
				PathParams: params,
				Route:      route,
				Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			}
			// What the server accepts, the document must allow.
			if ex.status < 300 {
				if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
					t.Errorf("%s: the request the server accepted does not match openapi.json: %v", target, err)
				}
			}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in,
				Status:                 rec.Code,
				Header:                 rec.Header(),
				Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
				Options:                responseOptions,
			})
			if err != nil {
				t.Errorf("%s: response %d does not match openapi.json: %v\n%s", target, rec.Code, err, truncate(rec.Body.String(), 2000))
			}
			exercised[responseKey(route, rec.Code)] = true
		})
	}

	var missing []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if key := method + " " + path + " " + status; !exercised[key] {
					missing = append(missing, key)
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("documented response %s is not exercised by this test", m)
	}
}

func responseKey(route *routers.Route, status int) string {
	return route.Method + " " + route.Path + " " + strconv.Itoa(status)
}

func serveRecorded(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Answers outside the documented operations (a wrong method, an unknown
// path under /api/) still have the documented error shape.
func TestOpenAPIUndocumentedAnswersUseErrorSchema(t *testing.T) {
	doc := loadOpenAPI(t)
	errSchema := doc.Components.Schemas["Error"].Value
	h := NewHandler(brokenSearcher{}, Options{})
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{http.MethodPost, "/api/search", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/articles/a1", http.StatusMethodNotAllowed},
		{http.MethodPut, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodGet, "/api/nope", http.StatusNotFound},
		{http.MethodGet, "/api/articles/", http.StatusNotFound},
		{http.MethodGet, "/api/admin/reindex", http.StatusNotFound}, // no admin token: no admin routes
	} {
		rec := serveRecorded(h, httptest.NewRequest(c.method, c.target, nil))
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.target, rec.Code, c.status)
			continue
		}
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s %s: not JSON: %v", c.method, c.target, err)
			continue
		}
		if err := errSchema.VisitJSON(body); err != nil {
			t.Errorf("%s %s: %s does not match the Error schema: %v", c.method, c.target, rec.Body, err)
		}
	}
}

// Every error code the handlers can send is in the document's list. The
// codes are read from the source, so one added without a test that sends
// it is still caught.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]bool{}
	for _, v := range doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum {
		documented[v.(string)] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`apiError\(c, http\.Status\w+, "([a-z_]+)"`)
	sent := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllSubmatch(src, -1) {
			sent[string(m[1])] = true
			if !documented[string(m[1])] {
				t.Errorf("%s sends error code %q, which openapi.json does not list", f, m[1])
			}
		}
	}
	for code := range documented {
		if !sent[code] {
			t.Errorf("openapi.json lists error code %q, which no handler sends", code)
		}
	}
}
