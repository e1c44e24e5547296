package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"healthsearch/indexer"
	"healthsearch/search"
)

// The API tests run against the real handler over the real seeds index
// (seedHandler, shared with the page tests); only the failure tests use a
// fake Searcher.

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func apiGet(t *testing.T, h http.Handler, target string) apiResponse {
	t.Helper()
	return apiDo(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func apiDo(t *testing.T, h http.Handler, req *http.Request) apiResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResponse{status: res.StatusCode, header: res.Header, body: body}
}

func (r apiResponse) decode(t *testing.T, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q, want JSON in UTF-8", ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// wantAPIError checks an error response: status, JSON shape and code.
func wantAPIError(t *testing.T, r apiResponse, status int, code string) ErrorDetail {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (%s)", r.status, status, r.body)
	}
	var raw map[string]map[string]any
	r.decode(t, &raw)
	if len(raw) != 1 || len(raw["error"]) != 2 {
		t.Errorf("error body %s, want exactly {\"error\":{\"code\",\"message\"}}", r.body)
	}
	var body ErrorBody
	r.decode(t, &body)
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("error %+v, want code %q and a message", body.Error, code)
	}
	return body.Error
}

func searchJSON(t *testing.T, h http.Handler, query string) search.Result {
	t.Helper()
	r := apiGet(t, h, "/api/search?"+query)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/search?%s: %d %s", query, r.status, r.body)
	}
	var res search.Result
	r.decode(t, &res)
	return res
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestAPISearchResponseShape(t *testing.T) {
	h := seedHandler(t)
	r := apiGet(t, h, "/api/search?q="+url.QueryEscape("医保卡跨省"))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var raw map[string]any
	r.decode(t, &raw)
	if got, want := sortedKeys(raw), []string{"facets", "hits", "page", "query", "size", "took_ms", "total"}; !slices.Equal(got, want) {
		t.Errorf("top-level keys %v, want %v", got, want)
	}
	if raw["query"] != "医保卡跨省" || raw["page"] != 1.0 || raw["size"] != 10.0 {
		t.Errorf("header %v %v %v", raw["query"], raw["page"], raw["size"])
	}
	if _, ok := raw["took_ms"].(float64); !ok {
		t.Errorf("took_ms %v is not a number", raw["took_ms"])
	}
	hits, _ := raw["hits"].([]any)
	if len(hits) == 0 {
		t.Fatalf("no hits: %s", r.body)
	}
	hitKeys := []string{"article_ids", "cities", "date", "id", "provinces", "score", "snippet_html", "title", "title_html", "topics", "type", "url"}
	for i, x := range hits {
		hit, _ := x.(map[string]any)
		if got := sortedKeys(hit); !slices.Equal(got, hitKeys) {
			t.Errorf("hit %d keys %v, want %v", i, got, hitKeys)
		}
		for _, list := range []string{"provinces", "cities", "topics", "article_ids"} {
			if _, ok := hit[list].([]any); !ok {
				t.Errorf("hit %d: %s is %v, want a list", i, list, hit[list])
			}
		}
		if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(fmt.Sprint(hit["date"])) {
			t.Errorf("hit %d: date %v", i, hit["date"])
		}
	}
	first := hits[0].(map[string]any)
	if first["title"] != "医保卡如何跨省使用" || !strings.Contains(first["title_html"].(string), "<mark>") || first["type"] != "article" {
		t.Errorf("first hit %v", first)
	}
	if first["url"] != "/articles/"+first["id"].(string) {
		t.Errorf("url %v for id %v", first["url"], first["id"])
	}
	facets, _ := raw["facets"].(map[string]any)
	if got := sortedKeys(facets); !slices.Equal(got, []string{"date", "province", "topic"}) {
		t.Errorf("facet keys %v", got)
	}
	for name, v := range facets {
		list, ok := v.([]any)
		if !ok {
			t.Errorf("facet %s is %v, want a list", name, v)
			continue
		}
		for _, x := range list {
			if got := sortedKeys(x.(map[string]any)); !slices.Equal(got, []string{"count", "selected", "value"}) {
				t.Errorf("facet %s value keys %v", name, got)
			}
		}
	}
}

func TestAPISearchChaoChong(t *testing.T) {
	res := searchJSON(t, seedHandler(t), "size=100&q="+url.QueryEscape("潮虫"))
	seen := map[string]bool{}
	for _, h := range res.Hits {
		if seen[h.ID] || seen[h.Title] || !strings.Contains(h.Title, "潮虫") {
			t.Errorf("hit %s %q twice or not a 潮虫 item", h.ID, h.Title)
		}
		seen[h.ID], seen[h.Title] = true, true
	}
	if res.Total != 6 || len(res.Hits) != 6 {
		t.Errorf("total %d, %d hits; want the six 潮虫 items", res.Total, len(res.Hits))
	}
}

// Every parameter has its effect through the HTTP API.
func TestAPISearchParameters(t *testing.T) {
	h := seedHandler(t)
	all := searchJSON(t, h, "size=100")
	if all.Total != 105 {
		t.Fatalf("browse total %d", all.Total)
	}
	province, topic, city := all.Facets.Province[0].Value, all.Facets.Topic[0].Value, ""
	for _, hit := range all.Hits {
		if city == "" && len(hit.Cities) > 0 {
			city = hit.Cities[0]
		}
	}
	every := func(name string, res search.Result, ok func(search.Hit) bool) {
		t.Helper()
		if len(res.Hits) == 0 {
			t.Errorf("%s: no hits", name)
		}
		for _, hit := range res.Hits {
			if !ok(hit) {
				t.Errorf("%s: hit %q (%s %s %v %v %v) does not fit", name, hit.Title, hit.Type, hit.Date, hit.Provinces, hit.Cities, hit.Topics)
			}
		}
	}
	newestFirst := func(name string, res search.Result) {
		t.Helper()
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].Date > res.Hits[i-1].Date {
				t.Errorf("%s: not newest first at hit %d", name, i)
			}
		}
	}

	res := searchJSON(t, h, "q="+url.QueryEscape("医保")+"&size=3")
	if len(res.Hits) != 3 || res.Size != 3 {
		t.Errorf("size=3: %d hits, size %d", len(res.Hits), res.Size)
	}
	p1 := searchJSON(t, h, "q="+url.QueryEscape("医保")+"&size=5&page=1")
	p2 := searchJSON(t, h, "q="+url.QueryEscape("医保")+"&size=5&page=2")
	if p2.Page != 2 || len(p2.Hits) != 5 {
		t.Errorf("page=2: page %d, %d hits", p2.Page, len(p2.Hits))
	}
	for _, a := range p1.Hits {
		for _, b := range p2.Hits {
			if a.ID == b.ID {
				t.Errorf("%s on pages 1 and 2", a.ID)
			}
		}
	}
	every("type=article", searchJSON(t, h, "type=article&size=100"), func(x search.Hit) bool { return x.Type == "article" })
	every("type=related", searchJSON(t, h, "type=related&size=100"), func(x search.Hit) bool { return x.Type == "related" })
	every("province", searchJSON(t, h, "size=100&province="+url.QueryEscape(province)), func(x search.Hit) bool { return slices.Contains(x.Provinces, province) })
	every("city", searchJSON(t, h, "size=100&city="+url.QueryEscape(city)), func(x search.Hit) bool { return slices.Contains(x.Cities, city) })
	every("topic", searchJSON(t, h, "size=100&topic="+url.QueryEscape(topic)), func(x search.Hit) bool { return slices.Contains(x.Topics, topic) })
	every("date range", searchJSON(t, h, "size=100&date_from=2025-04-04&date_to=2025-04-19"), func(x search.Hit) bool {
		return x.Date >= "2025-04-04" && x.Date <= "2025-04-19"
	})
	byDate := searchJSON(t, h, "size=100&sort=date&q="+url.QueryEscape("异地就医"))
	newestFirst("sort=date", byDate)
	newestFirst("browse", all)
	if res := searchJSON(t, h, "sort=relevance&q="+url.QueryEscape("异地就医")); res.Total != byDate.Total {
		t.Errorf("sort=relevance total %d, sort=date %d", res.Total, byDate.Total)
	}
	sel := searchJSON(t, h, "province="+url.QueryEscape(province))
	if sel.Total != uint64(all.Facets.Province[0].Count) || len(sel.Facets.Province) != len(all.Facets.Province) {
		t.Errorf("province=%s: total %d (facet said %d), %d province values (had %d)", province, sel.Total, all.Facets.Province[0].Count, len(sel.Facets.Province), len(all.Facets.Province))
	}
	// Query syntax is text, not an error.
	searchJSON(t, h, "q="+url.QueryEscape(`+医保 -卡 title:x "abc`))
}

// Every bad parameter is a 400 naming it.
func TestAPISearchBadRequests(t *testing.T) {
	h := seedHandler(t)
	many := func(name, v string, n int) string {
		return strings.TrimSuffix(strings.Repeat(name+"="+url.QueryEscape(v)+"&", n), "&")
	}
	cases := []struct{ query, param string }{
		{"size=0", "size"},
		{"size=500", "size"},
		{"size=x", "size"},
		{"page=-1", "page"},
		{"page=0", "page"},
		{"page=abc", "page"},
		{"page=4611686018427387904&size=4", "page"},
		{"page=200&size=100", "page"},
		{"date_from=2025-02-30", "date_from"},
		{"date_to=not-a-date", "date_to"},
		{"date_from=2025-05-01&date_to=2025-01-01", "date_from"},
		{"sort=popular", "sort"},
		{"type=page", "type"},
		{"q=" + strings.Repeat("%E5%8C%BB", search.MaxQueryRunes+1), "q"},
		{"q=%ff", "q"},
		{"province=%C0%80", "province"},
		{"q=a&q=b", "q"},
		{"size=1&size=2", "size"},
		{many("province", "广西", search.MaxFilterValues+1), "province"},
		{many("topic", "医保", search.MaxFilterValues+1), "topic"},
		{many("city", "南宁", search.MaxFilterValues+1), "city"},
	}
	for _, c := range cases {
		t.Run(c.query[:min(len(c.query), 50)], func(t *testing.T) {
			r := apiGet(t, h, "/api/search?"+c.query)
			e := wantAPIError(t, r, http.StatusBadRequest, "bad_request")
			if !strings.HasPrefix(e.Message, c.param+":") {
				t.Errorf("message %q does not name %s", e.Message, c.param)
			}
		})
	}
}

func TestAPIDocument(t *testing.T) {
	h := seedHandler(t)
	top := searchJSON(t, h, "q="+url.QueryEscape("医保卡跨省")).Hits[0]
	r := apiGet(t, h, "/api/articles/"+top.ID)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var doc search.Document
	r.decode(t, &doc)
	if doc.ID != top.ID || doc.Title != "医保卡如何跨省使用" || doc.Type != "article" || len(doc.Body) < 3 || len(doc.Related) != 20 || doc.Date == "" {
		t.Errorf("article: id %s title %q type %s, %d paragraphs, %d related, date %q", doc.ID, doc.Title, doc.Type, len(doc.Body), len(doc.Related), doc.Date)
	}
	var raw map[string]any
	r.decode(t, &raw)
	for _, k := range []string{"id", "type", "title", "body", "date", "provinces", "cities", "topics", "related"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("article JSON lacks %q", k)
		}
	}
	rel := doc.Related[0]
	r = apiGet(t, h, "/api/articles/"+rel.ID)
	var item search.Document
	r.decode(t, &item)
	if r.status != http.StatusOK || item.Type != "related" || item.Title != rel.Title || len(item.Articles) != 1 || item.Articles[0].ID != doc.ID {
		t.Errorf("related item %d: %+v", r.status, item)
	}
	for _, id := range []string{"nope", "a0000000000000000", strings.Repeat("x", 100), "%E5%8C%BB"} {
		e := wantAPIError(t, apiGet(t, h, "/api/articles/"+id), http.StatusNotFound, "not_found")
		if !strings.Contains(e.Message, "no document") {
			t.Errorf("%s: message %q", id, e.Message)
		}
	}
}

func TestAPISuggestAndFacets(t *testing.T) {
	h := seedHandler(t)
	r := apiGet(t, h, "/api/suggest?q="+url.QueryEscape("医保"))
	var sug struct {
		Query       string              `json:"query"`
		Suggestions []search.Suggestion `json:"suggestions"`
	}
	r.decode(t, &sug)
	if r.status != http.StatusOK || sug.Query != "医保" || sug.Suggestions == nil {
		t.Errorf("suggest: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ query, param string }{
		{"q=%ff", "q"},
		{"q=" + strings.Repeat("%E5%8C%BB", 51), "q"},
		{"q=x&size=0", "size"},
		{"q=x&size=21", "size"},
		{"q=x&size=many", "size"},
	} {
		e := wantAPIError(t, apiGet(t, h, "/api/suggest?"+c.query), http.StatusBadRequest, "bad_request")
		if !strings.HasPrefix(e.Message, c.param+":") {
			t.Errorf("suggest?%s: message %q does not name %s", c.query, e.Message, c.param)
		}
	}
	r = apiGet(t, h, "/api/facets")
	var facets search.Facets
	r.decode(t, &facets)
	if r.status != http.StatusOK || len(facets.Province) == 0 || len(facets.Topic) == 0 || len(facets.Date) == 0 {
		t.Errorf("facets: %d %s", r.status, r.body)
	}
}

func TestAPINotFoundAndMethods(t *testing.T) {
	h := seedHandler(t)
	for _, target := range []string{"/api/nope", "/api", "/api/search/extra", "/api/articles/", "/nope"} {
		wantAPIError(t, apiGet(t, h, target), http.StatusNotFound, "not_found")
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		r := apiDo(t, h, httptest.NewRequest(m, "/api/search?q=x", strings.NewReader("q=y")))
		wantAPIError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	}
	wantAPIError(t, apiDo(t, h, httptest.NewRequest(http.MethodPost, "/api/articles/x", nil)), http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestAPIHealthAndReady(t *testing.T) {
	h := seedHandler(t)
	for _, target := range []string{"/healthz", "/readyz"} {
		r := apiGet(t, h, target)
		var body map[string]string
		r.decode(t, &body)
		if r.status != http.StatusOK || body["status"] == "" {
			t.Errorf("%s: %d %s", target, r.status, r.body)
		}
	}
	notReady := NewHandler(&fakeSearcher{readyErr: errors.New("index closed")}, Options{})
	wantAPIError(t, apiGet(t, notReady, "/readyz"), http.StatusServiceUnavailable, "not_ready")
	if r := apiGet(t, notReady, "/healthz"); r.status != http.StatusOK {
		t.Errorf("healthz depends on the index: %d", r.status)
	}
}

func TestAPIRequestIDAndSecurityHeaders(t *testing.T) {
	h := seedHandler(t)
	check := func(name string, r apiResponse) {
		t.Helper()
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "same-origin",
		} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", name, csp)
		}
		if !regexp.MustCompile(`^[!-~]{1,64}$`).MatchString(r.header.Get("X-Request-ID")) {
			t.Errorf("%s: X-Request-ID %q", name, r.header.Get("X-Request-ID"))
		}
	}
	check("search", apiGet(t, h, "/api/search?q=x"))
	check("400", apiGet(t, h, "/api/search?size=0"))
	check("404", apiGet(t, h, "/api/nope"))
	check("healthz", apiGet(t, h, "/healthz"))

	req := httptest.NewRequest(http.MethodGet, "/api/search?q=x", nil)
	req.Header.Set("X-Request-ID", "client-chosen-id.42")
	if got := apiDo(t, h, req).header.Get("X-Request-ID"); got != "client-chosen-id.42" {
		t.Errorf("X-Request-ID not echoed: %q", got)
	}
	a, b := apiGet(t, h, "/healthz").header.Get("X-Request-ID"), apiGet(t, h, "/healthz").header.Get("X-Request-ID")
	if a == b {
		t.Errorf("generated request ids repeat: %q", a)
	}
	for _, bad := range []string{strings.Repeat("x", 65), "has space", "new\u00e9"} {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set("X-Request-ID", bad)
		got := apiDo(t, h, req).header.Get("X-Request-ID")
		if got == bad || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got) {
			t.Errorf("X-Request-ID %q: answered %q, want a fresh id", bad, got)
		}
	}
}

// fakeSearcher fails on purpose. The embedded interface makes it a Searcher
// whatever methods the interface grows; those panic if called.
type fakeSearcher struct {
	Searcher
	searchErr   error
	searchPanic any
	readyErr    error
	calls       atomic.Int64
}

func (f *fakeSearcher) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	f.calls.Add(1)
	if f.searchPanic != nil {
		panic(f.searchPanic)
	}
	if f.searchErr != nil {
		return nil, f.searchErr
	}
	return &search.Result{Query: req.Query, Page: req.Page, Size: req.Size, Hits: []search.Hit{}}, nil
}

func (f *fakeSearcher) Document(context.Context, string) (*search.Document, error) {
	panic("document exploded")
}

func (f *fakeSearcher) Ready(context.Context) error { return f.readyErr }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A panic in the engine is a logged JSON 500 carrying the request id, and
// the server goes on serving.
func TestAPIPanicIsJSON500(t *testing.T) {
	var logs syncBuffer
	fake := &fakeSearcher{searchPanic: "engine exploded"}
	srv := httptest.NewServer(NewHandler(fake, Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}))
	defer srv.Close()
	get := func(path string, id string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v (the panic reached the connection)", path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("panic-test-%d", i)
		for _, path := range []string{"/api/search?q=x", "/api/articles/a1"} {
			res, body := get(path, id)
			r := apiResponse{status: res.StatusCode, header: res.Header, body: body}
			e := wantAPIError(t, r, http.StatusInternalServerError, "internal")
			if !strings.Contains(e.Message, id) {
				t.Errorf("%s: message %q lacks the request id %s", path, e.Message, id)
			}
			if strings.Contains(string(body), "exploded") || strings.Contains(string(body), "goroutine") {
				t.Errorf("%s: internals leak to the client: %s", path, body)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: 500 without security headers", path)
			}
		}
		if res, _ := get("/healthz", ""); res.StatusCode != http.StatusOK {
			t.Errorf("healthz after a panic: %d", res.StatusCode)
		}
	}
	if fake.calls.Load() != 3 {
		t.Errorf("searcher called %d times, want 3", fake.calls.Load())
	}
	out := logs.String()
	if !strings.Contains(out, "engine exploded") || !strings.Contains(out, "panic-test-2") || !strings.Contains(out, `"status":500`) {
		t.Errorf("panic not logged with its request id:\n%s", out)
	}
}

func TestAPIEngineErrors(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := NewHandler(&fakeSearcher{searchErr: errors.New("disk on fire")}, Options{Logger: log})
	e := wantAPIError(t, apiGet(t, h, "/api/search?q=x"), http.StatusInternalServerError, "internal")
	if strings.Contains(e.Message, "disk") {
		t.Errorf("internal error text reaches the client: %q", e.Message)
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("error not logged:\n%s", logs.String())
	}
	// A request error from the engine is still the client's: 400.
	h = NewHandler(&fakeSearcher{searchErr: &search.RequestError{Param: "q", Message: "rejected"}}, Options{})
	wantAPIError(t, apiGet(t, h, "/api/search?q=x"), http.StatusBadRequest, "bad_request")
	// Running out of time is a 503, not a 500.
	h = NewHandler(&fakeSearcher{searchErr: fmt.Errorf("search: %w", context.DeadlineExceeded)}, Options{})
	wantAPIError(t, apiGet(t, h, "/api/search?q=x"), http.StatusServiceUnavailable, "timeout")
}

// Reindexing into the served index directory while HTTP requests run: the
// new generation is swapped in and no request fails.
func TestAPIReindexWhileServing(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	for _, name := range seedNames(t) {
		copyFile(t, filepath.Join("..", "seeds", name), filepath.Join(src, name))
	}
	build := func() *indexer.Summary {
		t.Helper()
		sum, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		return sum
	}
	build()
	eng, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	}()
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	defer srv.Close()

	targets := []string{
		"/api/search?q=" + url.QueryEscape("医保卡跨省"),
		"/api/search?q=" + url.QueryEscape("潮虫") + "&type=related",
		"/api/search?sort=date&size=50",
		"/api/search?q=" + url.QueryEscape("异地就医") + "&province=" + url.QueryEscape("广西"),
		"/readyz",
	}
	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				target := targets[(g+i)%len(targets)]
				res, err := srv.Client().Get(srv.URL + target)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET %s: %v", target, err))
					mu.Unlock()
				}
				requests.Add(1)
			}
		}()
	}
	waitRequests := func(n int64) {
		t.Helper()
		target, deadline := requests.Load()+n, time.Now().Add(2*time.Minute) // hang guard only
		for requests.Load() < target {
			if time.Now().After(deadline) {
				t.Fatalf("requests stalled at %d", requests.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitRequests(20)
	// Two reindexes in a row: the second removes the generation the
	// server started with.
	page := "zqxjreindex测试标题\n\nzqxjreindex测试正文。\n\n提示:本内容不能代替面诊。\n相关推荐\n\n推荐\n\n推荐内容\n\n健康新闻 2025-07-01\n"
	if err := os.WriteFile(filepath.Join(src, "zz_new.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		sum := build()
		if swapped, err := eng.Reload(); err != nil || !swapped {
			t.Fatalf("reload %d: %v %v", i, swapped, err)
		}
		if got := eng.Stats().Generation; got != sum.Generation {
			t.Errorf("serving %s, built %s", got, sum.Generation)
		}
		waitRequests(20)
	}
	stop.Store(true)
	wg.Wait()
	for _, f := range failures[:min(len(failures), 10)] {
		t.Error(f)
	}
	if res := searchJSON(t, srv.Config.Handler, "q=zqxjreindex"); res.Total == 0 {
		t.Error("the new page is not found after the reindex")
	}
}

func seedNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("..", "seeds"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".txt") {
			names = append(names, e.Name())
		}
	}
	return names
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A search that runs out of its work budget says so in the API and on the
// page, with the results it reached.
func TestPartialSearch(t *testing.T) {
	seedHandler(t)
	eng, err := search.Open(seedSite.dir, search.Options{WorkBudget: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	h := NewHandler(eng, Options{})
	var res struct {
		Total   int             `json:"total"`
		Partial bool            `json:"partial"`
		Hits    []search.Hit    `json:"hits"`
		Facets  json.RawMessage `json:"facets"`
	}
	r := apiGet(t, h, "/api/search?q="+url.QueryEscape("医保"))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	r.decode(t, &res)
	if !res.Partial || res.Total == 0 || len(res.Hits) == 0 {
		t.Errorf("partial %v, total %d, %d hits", res.Partial, res.Total, len(res.Hits))
	}
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保"), http.StatusOK)
	if len(find(p.doc, "p", "partial")) != 1 {
		t.Error("the page does not say the results are partial")
	}
	full := htmlPage(t, seedHandler(t), "/search?q="+url.QueryEscape("医保"), http.StatusOK)
	if len(find(full.doc, "p", "partial")) != 0 {
		t.Error("a whole search says it is partial")
	}
}
