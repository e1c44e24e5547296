package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"healthsearch/search"
)

// repeated returns name=value n times as a query string.
func repeated(name, value string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name + "=" + url.QueryEscape(value)
	}
	return strings.Join(parts, "&")
}

// limitCase is a request at or just past a limit and the parameter the
// 400 must name ("" for a request that is within the limits).
type limitCase struct {
	name, query, param string
}

func checkLimitCases(t *testing.T, cases []limitCase) {
	t.Helper()
	h := seedHandler(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := apiGet(t, h, "/api/search?"+c.query)
			page := fetchPage(t, h, "/search?"+c.query)
			if c.param == "" {
				if r.status != http.StatusOK || page.status != http.StatusOK {
					t.Fatalf("within the limit: API %d, page %d (%s)", r.status, page.status, r.body)
				}
				return
			}
			e := wantAPIError(t, r, http.StatusBadRequest, "bad_request")
			if !strings.HasPrefix(e.Message, c.param+": ") {
				t.Errorf("error %q does not name %s", e.Message, c.param)
			}
			if page.status != http.StatusBadRequest {
				t.Errorf("search page: status %d, want 400", page.status)
			}
		})
	}
}

func TestLimitQueryLength(t *testing.T) {
	checkLimitCases(t, []limitCase{
		{"200 Han characters", "q=" + url.QueryEscape(strings.Repeat("医", search.MaxQueryRunes)), ""},
		{"200 mixed words", "q=" + url.QueryEscape(strings.Repeat("医保 a1 ", search.MaxQueryRunes/7)), ""},
		{"201 characters", "q=" + url.QueryEscape(strings.Repeat("医", search.MaxQueryRunes+1)), "q"},
		{"201 ASCII letters", "q=" + strings.Repeat("a", search.MaxQueryRunes+1), "q"},
		{"invalid UTF-8", "q=%ff%fe", "q"},
	})
}

func TestLimitResultWindow(t *testing.T) {
	window := func(page, size int) string {
		return "q=%E5%8C%BB%E4%BF%9D&page=" + strconv.Itoa(page) + "&size=" + strconv.Itoa(size)
	}
	checkLimitCases(t, []limitCase{
		{"last page of the window", window(search.MaxWindow/search.MaxPageSize, search.MaxPageSize), ""},
		{"past the window", window(search.MaxWindow/search.MaxPageSize+1, search.MaxPageSize), "page"},
		{"past the window with small pages", window(search.MaxWindow+1, 1), "page"},
		{"page size over the maximum", window(1, search.MaxPageSize+1), "size"},
		{"page × size overflows", "page=9223372036854775807&size=100", "page"},
		{"page zero", window(0, 10), "page"},
	})
}

func TestLimitRepeatedParameters(t *testing.T) {
	checkLimitCases(t, []limitCase{
		{"20 provinces", repeated("province", "广西", search.MaxFilterValues), ""},
		{"21 provinces", repeated("province", "广西", search.MaxFilterValues+1), "province"},
		{"21 topics", repeated("topic", "医保", search.MaxFilterValues+1), "topic"},
		{"two queries", "q=a&q=b", "q"},
		{"two pages", "page=1&page=2", "page"},
		// Parameters nobody reads are ignored, however many.
		{"unknown parameter 500 times", repeated("utm_source", "x", 500), ""},
	})
}

// blockingSearcher holds every search until its context ends, like a query
// that would run away, and records how it ended.
type blockingSearcher struct {
	Searcher
	calls, deadlines atomic.Int64
}

func (b *blockingSearcher) Search(ctx context.Context, req search.Request) (*search.Result, error) {
	b.calls.Add(1)
	if _, ok := ctx.Deadline(); ok {
		b.deadlines.Add(1)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute): // hang guard: the deadline never came
		return nil, errors.New("no deadline reached the searcher")
	}
}

func (b *blockingSearcher) Suggest(ctx context.Context, _ string, _ int) ([]search.Suggestion, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *blockingSearcher) Ready(ctx context.Context) error { return nil }

// Every request runs under Options.RequestTimeout: work that would go on
// is cut off and the client gets a JSON 503 it can act on, not a hang or a
// 500.
func TestRequestDeadline(t *testing.T) {
	t.Run("blocking searcher", func(t *testing.T) {
		var logs syncBuffer
		b := &blockingSearcher{}
		h := NewHandler(b, Options{RequestTimeout: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		for _, target := range []string{"/api/search?q=x", "/api/suggest?q=x"} {
			wantAPIError(t, apiGet(t, h, target), http.StatusServiceUnavailable, "timeout")
		}
		if p := fetchPage(t, h, "/search?q=x"); p.status != http.StatusServiceUnavailable {
			t.Errorf("search page: status %d, want 503", p.status)
		}
		if b.calls.Load() == 0 || b.deadlines.Load() != b.calls.Load() {
			t.Errorf("%d of %d searches had a deadline", b.deadlines.Load(), b.calls.Load())
		}
		// A timeout is the client's answer, not a server fault to log.
		if strings.Contains(logs.String(), "request failed") {
			t.Errorf("timeouts logged as failures:\n%s", logs.String())
		}
	})
	t.Run("real engine", func(t *testing.T) {
		seedHandler(t)
		h := NewHandler(seedSite.engine, Options{RequestTimeout: time.Nanosecond})
		for _, target := range []string{
			"/api/search?q=" + url.QueryEscape("医保卡跨省"),
			"/api/search?sort=date&size=100",
			"/api/articles/a0000000000000000",
			"/api/suggest?q=" + url.QueryEscape("医"),
			"/api/facets",
		} {
			wantAPIError(t, apiGet(t, h, target), http.StatusServiceUnavailable, "timeout")
		}
		wantAPIError(t, apiGet(t, h, "/readyz"), http.StatusServiceUnavailable, "not_ready")
		if p := fetchPage(t, h, "/search?q="+url.QueryEscape("医保")); p.status != http.StatusServiceUnavailable {
			t.Errorf("search page: status %d, want 503", p.status)
		}
		// Liveness does no index work and stays up.
		if r := apiGet(t, h, "/healthz"); r.status != http.StatusOK {
			t.Errorf("healthz under a tiny deadline: %d", r.status)
		}
	})
}

// panickingSearcher panics in every method the pages and the API call.
type panickingSearcher struct{ Searcher }

func (panickingSearcher) Search(context.Context, search.Request) (*search.Result, error) {
	panic("search exploded")
}
func (panickingSearcher) Suggest(context.Context, string, int) ([]search.Suggestion, error) {
	panic("suggest exploded")
}
func (panickingSearcher) AllFacets(context.Context) (search.Facets, error) {
	panic("facets exploded")
}
func (panickingSearcher) Ready(context.Context) error { panic("ready exploded") }

// A panic anywhere (pages included) is a JSON 500 over a real connection,
// and the server goes on serving.
func TestPanicsRecoveredOverHTTP(t *testing.T) {
	var logs syncBuffer
	srv := httptest.NewServer(NewHandler(panickingSearcher{}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	defer srv.Close()
	for _, target := range []string{"/api/search?q=x", "/api/suggest?q=x", "/api/facets", "/search?q=x", "/readyz"} {
		res, err := srv.Client().Get(srv.URL + target)
		if err != nil {
			t.Fatalf("GET %s: %v (the panic reached the connection)", target, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		r := apiResponse{status: res.StatusCode, header: res.Header, body: body}
		e := wantAPIError(t, r, http.StatusInternalServerError, "internal")
		if strings.Contains(e.Message, "exploded") {
			t.Errorf("%s: panic text reaches the client: %q", target, e.Message)
		}
	}
	if res, err := srv.Client().Get(srv.URL + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("healthz after panics: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if n := strings.Count(logs.String(), "exploded"); n < 5 {
		t.Errorf("%d panics logged, want 5:\n%s", n, logs.String())
	}
}

// A client that gives up (a closed tab, a superseded suggestion request)
// cancels the request's context: that is no server error to log or to
// count as a 500.
func TestClientCancelIsNotAServerError(t *testing.T) {
	var logs syncBuffer
	h := NewHandler(&blockingSearcher{}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, target := range []string{"/api/search?q=x", "/api/suggest?q=x", "/search?q=x"} {
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequest(http.MethodGet, target, nil).WithContext(ctx)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		cancel()
		<-done
		if rec.Code != statusClientClosed {
			t.Errorf("%s cancelled by the client: status %d, want %d", target, rec.Code, statusClientClosed)
		}
	}
	if strings.Contains(logs.String(), "request failed") || strings.Contains(logs.String(), "page failed") {
		t.Errorf("client cancellations logged as failures:\n%s", logs.String())
	}
}
