package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"healthsearch/indexer"
	"healthsearch/indexer/enrich"
	"healthsearch/search"
)

// seedSite is the real site over an index of the bundled seeds, built at
// most once per test binary: the build is the slow part, and only tests
// that ask for it pay for it.
var seedSite struct {
	once    sync.Once
	dir     string
	engine  *search.Engine
	handler http.Handler
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if seedSite.engine != nil {
		seedSite.engine.Close()
	}
	if seedSite.dir != "" {
		os.RemoveAll(seedSite.dir)
	}
	os.Exit(code)
}

func seedHandler(t testing.TB) http.Handler {
	t.Helper()
	seedSite.once.Do(func() {
		seedSite.dir, seedSite.err = os.MkdirTemp("", "healthsearch-web-")
		if seedSite.err != nil {
			return
		}
		enr := enrich.Default()
		_, seedSite.err = indexer.Build(context.Background(), indexer.BuildOptions{
			Sources:  []string{"../seeds"},
			IndexDir: seedSite.dir,
			Enrich: func(title, text string) indexer.Enrichment {
				r := enr.Enrich(title, text)
				return indexer.Enrichment{Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics}
			},
		})
		if seedSite.err != nil {
			return
		}
		seedSite.engine, seedSite.err = search.Open(seedSite.dir, search.Options{})
		if seedSite.err != nil {
			return
		}
		seedSite.handler = NewHandler(seedSite.engine, Options{})
	})
	if seedSite.err != nil {
		t.Fatalf("seed index: %v", seedSite.err)
	}
	return seedSite.handler
}

type page struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func fetchPage(t *testing.T, h http.Handler, target string) page {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	p := page{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		doc, err := html.Parse(strings.NewReader(p.body))
		if err != nil {
			t.Fatalf("GET %s: parse HTML: %v", target, err)
		}
		p.doc = doc
	}
	return p
}

// htmlPage fetches a page that must be HTML with the given status.
func htmlPage(t *testing.T, h http.Handler, target string, status int) page {
	t.Helper()
	p := fetchPage(t, h, target)
	if p.status != status {
		t.Fatalf("GET %s: status %d, want %d\n%.500s", target, p.status, status, p.body)
	}
	if p.doc == nil {
		t.Fatalf("GET %s: Content-Type %q, want HTML", target, p.header.Get("Content-Type"))
	}
	return p
}

// find returns the elements under n with the given tag ("" for any) and
// all the given classes, in document order.
func find(n *html.Node, tag string, classes ...string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (tag == "" || n.Data == tag) {
			have := strings.Fields(attr(n, "class"))
			ok := true
			for _, c := range classes {
				ok = ok && (c == "" || slices.Contains(have, c))
			}
			if ok {
				out = append(out, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func findOne(t *testing.T, n *html.Node, tag string, classes ...string) *html.Node {
	t.Helper()
	all := find(n, tag, classes...)
	if len(all) == 0 {
		t.Fatalf("no <%s class=%q>", tag, strings.Join(classes, " "))
	}
	return all[0]
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

// hitTitles returns the result titles of a search page.
func hitTitles(p page) []string {
	var out []string
	for _, h := range find(p.doc, "h2", "hit-title") {
		out = append(out, text(h))
	}
	return out
}

func resultTotal(t *testing.T, p page) int {
	t.Helper()
	n, err := strconv.Atoi(attr(findOne(t, p.doc, "p", "summary"), "data-total"))
	if err != nil {
		t.Fatalf("result total: %v", err)
	}
	return n
}

func mustQuery(t *testing.T, href string) url.Values {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("parse %q: %v", href, err)
	}
	if u.Path != "/search" {
		t.Errorf("link %q does not go to /search", href)
	}
	return u.Query()
}

func TestPagesStatus(t *testing.T) {
	h := seedHandler(t)
	tests := []struct {
		target string
		status int
		ctype  string
	}{
		{"/", 200, "text/html"},
		{"/search?q=" + url.QueryEscape("医保卡跨省"), 200, "text/html"},
		{"/search", 200, "text/html"},
		{"/search?province=" + url.QueryEscape("广西") + "&sort=date&page=2&size=3", 200, "text/html"},
		{"/search?q=" + url.QueryEscape("完全不存在的词语组合qqzx"), 200, "text/html"},
		{"/search?page=0", 400, "text/html"},
		{"/search?sort=popular", 400, "text/html"},
		{"/search?date_from=2025-13-40", 400, "text/html"},
		{"/search?q=a&q=b", 400, "text/html"},
		{"/articles/a0000000000000000", 404, "text/html"},
		{"/static/site.css", 200, "text/css"},
		{"/static/suggest.js", 200, "text/javascript"},
		{"/static/", 404, ""},
		{"/static/nope.js", 404, ""},
		{"/static/../pages.go", 404, ""},
		// The JSON API keeps answering JSON, errors included.
		{"/api/search?page=0", 400, "application/json"},
		{"/api/articles/a0000000000000000", 404, "application/json"},
	}
	for _, tt := range tests {
		p := fetchPage(t, h, tt.target)
		if p.status != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.target, p.status, tt.status)
		}
		if ct := p.header.Get("Content-Type"); tt.ctype != "" && !strings.HasPrefix(ct, tt.ctype) {
			t.Errorf("GET %s: Content-Type %q, want %s", tt.target, ct, tt.ctype)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tt.target)
		}
		if csp := p.header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", tt.target, csp)
		}
	}
}

// TestPagesNeedNoInlineCode checks that pages work under the strict CSP:
// no inline script, style or event handler for the policy to block.
func TestPagesNeedNoInlineCode(t *testing.T) {
	h := seedHandler(t)
	for _, target := range []string{"/", "/search?q=" + url.QueryEscape("医保卡跨省"), "/search?page=0", "/articles/nope", firstArticle(t, h)} {
		p := fetchPage(t, h, target)
		if p.doc == nil {
			t.Fatalf("GET %s: not HTML", target)
		}
		if got := attr(findOne(t, p.doc, "html", ""), "lang"); got != "zh-CN" {
			t.Errorf("GET %s: <html lang=%q>", target, got)
		}
		for _, s := range find(p.doc, "script") {
			if attr(s, "src") == "" {
				t.Errorf("GET %s: inline <script>", target)
			}
		}
		if len(find(p.doc, "style")) > 0 {
			t.Errorf("GET %s: inline <style>", target)
		}
		for _, n := range find(p.doc, "") {
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("GET %s: <%s %s=%q> is blocked by the CSP", target, n.Data, a.Key, a.Val)
				}
			}
		}
	}
}

func firstArticle(t *testing.T, h http.Handler) string {
	t.Helper()
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保卡跨省"), 200)
	return attr(findOne(t, findOne(t, p.doc, "h2", "hit-title"), "a"), "href")
}

func TestSearchPageResults(t *testing.T) {
	h := seedHandler(t)
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保卡跨省"), 200)
	titles := hitTitles(p)
	if len(titles) == 0 || titles[0] != "医保卡如何跨省使用" {
		t.Fatalf("top result %q, want 医保卡如何跨省使用", titles)
	}
	first := findOne(t, p.doc, "li", "hit")
	var marked []string
	for _, m := range find(findOne(t, first, "h2", "hit-title"), "mark") {
		marked = append(marked, text(m))
	}
	if !slices.Contains(marked, "医保卡") || !slices.Contains(marked, "跨省") {
		t.Errorf("title marks %q, want 医保卡 and 跨省", marked)
	}
	if len(find(findOne(t, first, "p", "snippet"), "mark")) == 0 {
		t.Error("snippet has no <mark>")
	}
	if got := text(findOne(t, first, "span", "badge")); got != "文章" {
		t.Errorf("type label %q, want 文章", got)
	}
	if href := attr(findOne(t, findOne(t, first, "h2", "hit-title"), "a"), "href"); !strings.HasPrefix(href, "/articles/a") {
		t.Errorf("article link %q", href)
	}
	if len(find(first, "time")) != 1 {
		t.Error("no date on the top result")
	}
	total := resultTotal(t, p)
	if total <= 10 {
		t.Fatalf("total %d: the seeds should give more than one page", total)
	}
	if summary := text(findOne(t, p.doc, "p", "summary")); !strings.Contains(summary, strconv.Itoa(total)) || !strings.Contains(summary, "毫秒") {
		t.Errorf("summary %q lacks the count or the time", summary)
	}
	if got := attr(findOne(t, p.doc, "input", ""), "value"); got != "医保卡跨省" {
		t.Errorf("search box value %q", got)
	}
	var sawRelated bool
	for _, hit := range find(p.doc, "li", "hit") {
		if attr(hit, "data-type") == "related" {
			sawRelated = true
			if got := text(findOne(t, hit, "span", "badge")); got != "相关推荐" {
				t.Errorf("related label %q", got)
			}
			if href := attr(findOne(t, findOne(t, hit, "h2", "hit-title"), "a"), "href"); !strings.HasPrefix(href, "/articles/r") {
				t.Errorf("related item link %q", href)
			}
		}
	}
	if !sawRelated {
		t.Error("no 相关推荐 among the results")
	}
	// Result chips add their value to the search.
	for _, chip := range find(p.doc, "a", "chip-topic") {
		v := mustQuery(t, attr(chip, "href"))
		if v.Get("q") != "医保卡跨省" || !slices.Contains(v["topic"], text(chip)) {
			t.Errorf("topic chip %q links to %q", text(chip), attr(chip, "href"))
		}
	}
}

func TestSearchPageFacets(t *testing.T) {
	h := seedHandler(t)
	base := "/search?q=" + url.QueryEscape("医保卡跨省")
	p := htmlPage(t, h, base, 200)
	total := resultTotal(t, p)
	provinces := find(findOne(t, p.doc, "section", "facet"), "a", "facet-link")
	if len(provinces) < 2 {
		t.Fatalf("%d province facet links", len(provinces))
	}
	for _, facet := range []string{"province", "topic", "month"} {
		found := false
		for _, s := range find(p.doc, "section", "facet") {
			found = found || attr(s, "data-facet") == facet
		}
		if !found {
			t.Errorf("no %s facet", facet)
		}
	}

	first := provinces[0]
	name := attr(first, "data-value")
	count, _ := strconv.Atoi(text(findOne(t, first, "span", "count")))
	v := mustQuery(t, attr(first, "href"))
	if v.Get("q") != "医保卡跨省" || !slices.Equal(v["province"], []string{name}) || v.Get("page") != "" {
		t.Fatalf("facet link %q", attr(first, "href"))
	}
	narrowed := htmlPage(t, h, attr(first, "href"), 200)
	// At least the facet's count: when few documents match every word the
	// engine completes the list with documents matching some of them,
	// which the facet of the unfiltered search did not count.
	if got := resultTotal(t, narrowed); got < count || got >= total {
		t.Errorf("%s: %d results, facet said %d, unfiltered %d", name, got, count, total)
	}
	for _, hit := range find(narrowed.doc, "li", "hit") {
		var places []string
		for _, c := range find(hit, "a", "chip-province") {
			places = append(places, text(c))
		}
		if !slices.Contains(places, name) {
			t.Errorf("result %q has provinces %q, not %s", text(findOne(t, hit, "h2", "hit-title")), places, name)
		}
	}
	// The selected value shows as checked and as a removable chip; both
	// links lead back to the unfiltered search.
	var selected *html.Node
	for _, a := range find(narrowed.doc, "a", "facet-link", "selected") {
		if attr(a, "data-value") == name {
			selected = a
		}
	}
	if selected == nil {
		t.Fatalf("%s is not shown selected", name)
	}
	if attr(selected, "href") != base {
		t.Errorf("unselect link %q, want %q", attr(selected, "href"), base)
	}
	chips := find(narrowed.doc, "a", "chip-remove")
	if len(chips) != 1 || text(chips[0]) != "省份："+name+"×（去掉）" || attr(chips[0], "href") != base {
		t.Errorf("filter chips %v", chips)
	}

	// A second province widens (OR within a facet); a topic narrows (AND
	// across facets); both keep the first province.
	var second *html.Node
	for _, a := range find(findOne(t, narrowed.doc, "section", "facet"), "a", "facet-link") {
		if attr(a, "data-value") != name {
			second = a
			break
		}
	}
	if second == nil {
		t.Fatal("no second province to add")
	}
	v = mustQuery(t, attr(second, "href"))
	if !slices.Equal(v["province"], []string{name, attr(second, "data-value")}) {
		t.Fatalf("second province link %q", attr(second, "href"))
	}
	both := htmlPage(t, h, attr(second, "href"), 200)
	if got := resultTotal(t, both); got < count {
		t.Errorf("two provinces give %d, fewer than %s alone (%d)", got, name, count)
	}
	if len(find(both.doc, "a", "chip-remove")) != 2 || len(find(both.doc, "a", "clear-all")) != 1 {
		t.Error("two filters should show two chips and 清除全部")
	}

	// Months set a date range, shown as a chip, and the other months stay
	// choosable.
	var month *html.Node
	for _, s := range find(p.doc, "section", "facet") {
		if attr(s, "data-facet") == "month" {
			month = findOne(t, s, "a", "facet-link")
		}
	}
	v = mustQuery(t, attr(month, "href"))
	if v.Get("date_from") == "" || !strings.HasSuffix(v.Get("date_from"), "-01") || v.Get("date_to") == "" {
		t.Fatalf("month link %q", attr(month, "href"))
	}
	inMonth := htmlPage(t, h, attr(month, "href"), 200)
	if got, want := resultTotal(t, inMonth), atoi(text(findOne(t, month, "span", "count"))); got < want {
		t.Errorf("month gives %d, facet said %d", got, want)
	}
	for _, tm := range find(findOne(t, inMonth.doc, "ol", "hits"), "time") {
		if d := attr(tm, "datetime"); d < v.Get("date_from") || d > v.Get("date_to") {
			t.Errorf("result dated %s outside %s..%s", d, v.Get("date_from"), v.Get("date_to"))
		}
	}
	chip := findOne(t, inMonth.doc, "a", "chip-remove")
	if !strings.Contains(text(chip), text(findOne(t, month, "span", "label"))) {
		t.Errorf("date chip %q for month %q", text(chip), text(month))
	}
	for _, s := range find(inMonth.doc, "section", "facet") {
		if attr(s, "data-facet") == "month" && len(find(s, "a", "facet-link")) < 2 {
			t.Error("other months disappear once one is chosen")
		}
	}
	for _, in := range find(inMonth.doc, "input", "") {
		if n := attr(in, "name"); (n == "date_from" || n == "date_to") && attr(in, "value") != v.Get(n) {
			t.Errorf("date input %s = %q, want %q", n, attr(in, "value"), v.Get(n))
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestSearchPagePagination(t *testing.T) {
	h := seedHandler(t)
	target := "/search?q=" + url.QueryEscape("医保") + "&topic=" + url.QueryEscape("医保") + "&sort=date&size=5"
	p := htmlPage(t, h, target, 200)
	total := resultTotal(t, p)
	if total <= 15 {
		t.Fatalf("total %d, want more than three pages", total)
	}
	pager := findOne(t, p.doc, "nav", "pager")
	want := func(t *testing.T, href string, page int) {
		t.Helper()
		v := mustQuery(t, href)
		if v.Get("q") != "医保" || !slices.Equal(v["topic"], []string{"医保"}) || v.Get("sort") != "date" || v.Get("size") != "5" {
			t.Errorf("pager link %q drops a parameter", href)
		}
		got := 1
		if s := v.Get("page"); s != "" {
			got = atoi(s)
		}
		if got != page {
			t.Errorf("pager link %q goes to page %d, want %d", href, got, page)
		}
	}
	if len(find(pager, "a", "pager-prev")) != 0 {
		t.Error("page 1 has a previous-page link")
	}
	want(t, attr(findOne(t, pager, "a", "pager-next"), "href"), 2)
	last := (total + 4) / 5
	nums := find(pager, "a", "pager-num")
	want(t, attr(nums[len(nums)-1], "href"), last)
	if cur := findOne(t, pager, "span", "current"); text(cur) != "1" || attr(cur, "aria-current") != "page" {
		t.Errorf("current page %q", text(cur))
	}

	p2 := htmlPage(t, h, attr(findOne(t, pager, "a", "pager-next"), "href"), 200)
	pager2 := findOne(t, p2.doc, "nav", "pager")
	want(t, attr(findOne(t, pager2, "a", "pager-prev"), "href"), 1)
	want(t, attr(findOne(t, pager2, "a", "pager-next"), "href"), 3)
	if slices.Equal(hitTitles(p), hitTitles(p2)) {
		t.Error("page 2 shows the results of page 1")
	}
	// Sorting and filtering restart at page 1.
	for _, a := range append(find(p2.doc, "a", "sort-option"), find(p2.doc, "a", "facet-link")...) {
		if v := mustQuery(t, attr(a, "href")); v.Get("page") != "" {
			t.Errorf("link %q keeps the page", attr(a, "href"))
		}
	}
	// Past the end: no results, a way back.
	past := htmlPage(t, h, "/search?q="+url.QueryEscape("医保")+"&page=500", 200)
	if len(find(past.doc, "li", "hit")) != 0 || !strings.Contains(past.body, "回到最后一页") {
		t.Error("page past the end should offer the last page")
	}
}

func TestSearchPageCleansFormURLs(t *testing.T) {
	h := seedHandler(t)
	// What the header form submits with empty date fields.
	target := "/search?q=" + url.QueryEscape("医保") + "&province=" + url.QueryEscape("广西") + "&date_from=&date_to=&type="
	p := fetchPage(t, h, target)
	want := "/search?q=" + url.QueryEscape("医保") + "&province=" + url.QueryEscape("广西")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
		t.Errorf("GET %s: %d Location %q, want 303 to %s", target, p.status, p.header.Get("Location"), want)
	}
	// Unknown parameters are left alone (and ignored), not redirected.
	if p := fetchPage(t, h, "/search?q=x&utm_source="); p.status != 200 {
		t.Errorf("unknown empty parameter: %d", p.status)
	}
}

func TestSearchPageSortAndType(t *testing.T) {
	h := seedHandler(t)
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保")+"&sort=date", 200)
	var dates []string
	for _, tm := range find(findOne(t, p.doc, "ol", "hits"), "time") {
		dates = append(dates, attr(tm, "datetime"))
	}
	if len(dates) < 2 || !slices.IsSortedFunc(dates, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("sort=date gives dates %q", dates)
	}
	if cur := findOne(t, p.doc, "span", "sort-option", "current"); text(cur) != "按日期" {
		t.Errorf("current sort %q", text(cur))
	}
	articles := htmlPage(t, h, "/search?q="+url.QueryEscape("医保")+"&type=article", 200)
	for _, hit := range find(articles.doc, "li", "hit") {
		if attr(hit, "data-type") != "article" {
			t.Errorf("type=article shows a %s", attr(hit, "data-type"))
		}
	}
	// The search box keeps the filters for the next query.
	var hidden []string
	for _, in := range find(articles.doc, "input", "") {
		if attr(in, "type") == "hidden" {
			hidden = append(hidden, attr(in, "name")+"="+attr(in, "value"))
		}
	}
	if !slices.Equal(hidden, []string{"type=article"}) {
		t.Errorf("hidden fields %q", hidden)
	}
}

func TestSearchPageRelaxed(t *testing.T) {
	h := seedHandler(t)
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保卡 qqzxwv"), 200)
	if len(find(p.doc, "p", "relaxed")) != 1 {
		t.Error("no notice that only some words matched")
	}
	p = htmlPage(t, h, "/search?q="+url.QueryEscape("医保卡跨省"), 200)
	if len(find(p.doc, "p", "relaxed")) != 0 {
		t.Error("relaxed notice on a full match")
	}
}

func TestSearchPageNoResults(t *testing.T) {
	h := seedHandler(t)
	// Each filter alone leaves results; together they leave none.
	target := "/search?q=" + url.QueryEscape("医保卡如何跨省使用") + "&province=" + url.QueryEscape("新疆") + "&type=article"
	p := htmlPage(t, h, target, 200)
	if resultTotal(t, p) != 0 {
		t.Fatalf("want no results for %s", target)
	}
	if len(find(p.doc, "p", "relaxed")) != 0 {
		t.Error("a notice about partial matches over no results")
	}
	box := findOne(t, p.doc, "div", "no-results")
	drops := find(findOne(t, box, "ul", "drop-filters"), "a")
	if len(drops) < 2 {
		t.Fatalf("%d drop-a-filter hints, want one per filter", len(drops))
	}
	for _, a := range drops {
		v := mustQuery(t, attr(a, "href"))
		if v.Get("q") != "医保卡如何跨省使用" || (v.Get("type") != "" && len(v["province"]) != 0) {
			t.Errorf("hint %q should drop one filter: %q", text(a), attr(a, "href"))
		}
		if got := resultTotal(t, htmlPage(t, h, attr(a, "href"), 200)); got == 0 {
			t.Errorf("hint %q leads to no results", text(a))
		}
	}

	// A query that matches nothing still gets tips and examples.
	p = htmlPage(t, h, "/search?q=qqzxwv", 200)
	if resultTotal(t, p) != 0 {
		t.Fatal("qqzxwv should find nothing")
	}
	box = findOne(t, p.doc, "div", "no-results")
	if len(find(box, "ul", "tips")) != 1 || len(find(box, "a", "chip-query")) == 0 {
		t.Error("no tips or example searches")
	}
}

func TestSimilarQueries(t *testing.T) {
	seedHandler(t)
	similarQueries := func(q pageQuery) []link {
		t.Helper()
		h, err := seedSite.engine.Hints(context.Background(), q.request())
		if err != nil {
			t.Fatal(err)
		}
		_, similar := hintLinks(q, h)
		return similar
	}
	texts := func(ls []link) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Label)
		}
		return out
	}
	// Completions of the query's beginning.
	got := similarQueries(pageQuery{Q: "医保卡qqzxwv", Provinces: []string{"广西"}})
	if len(got) == 0 {
		t.Fatal("no similar queries")
	}
	for _, l := range got {
		if !strings.HasPrefix(l.Label, "医保卡") {
			t.Errorf("similar query %q does not continue 医保卡", l.Label)
		}
		if v := mustQuery(t, l.URL); v.Get("q") != l.Label || !slices.Equal(v["province"], []string{"广西"}) {
			t.Errorf("similar query link %q should keep the filters", l.URL)
		}
	}
	// The query without one of its words.
	got = similarQueries(pageQuery{Q: "异地 qqzxwv 备案"})
	for _, want := range []string{"qqzxwv 备案", "异地 备案", "异地 qqzxwv"} {
		if !slices.Contains(texts(got), want) {
			t.Errorf("similar queries %q lack %q", texts(got), want)
		}
	}
	if got := similarQueries(pageQuery{Q: "qqzxwv"}); len(got) != 0 {
		t.Errorf("gibberish gets %q", texts(got))
	}
}

func TestSearchPageBadParams(t *testing.T) {
	h := seedHandler(t)
	tests := []struct {
		query string
		label string
	}{
		{"page=0", "页码"},
		{"page=x", "页码"},
		{"size=1000", "每页条数"},
		{"sort=popular", "排序"},
		{"type=video", "类型"},
		{"date_from=2025-02-30", "开始日期"},
		{"date_from=2025-05-01&date_to=2025-04-01", "开始日期"},
		{"q=" + url.QueryEscape(strings.Repeat("医", 201)), "搜索词"},
		{"q=a&q=b", "搜索词"},
		{"q=" + url.QueryEscape("医保") + "&page=-1", "页码"},
	}
	for _, tt := range tests {
		p := htmlPage(t, h, "/search?"+tt.query, 400)
		section := findOne(t, p.doc, "section", "notice-page")
		if !strings.Contains(text(section), tt.label) {
			t.Errorf("%s: error page does not name %s: %q", tt.query, tt.label, text(section))
		}
		if strings.Contains(p.body, `"error"`) {
			t.Errorf("%s: JSON in the page", tt.query)
		}
	}
	// The way on keeps the query when there is one.
	p := htmlPage(t, h, "/search?q="+url.QueryEscape("医保")+"&page=0", 400)
	if !strings.Contains(p.body, `href="/search?q=`+url.QueryEscape("医保")+`"`) {
		t.Error("no link to the plain search")
	}
}

func TestArticlePage(t *testing.T) {
	h := seedHandler(t)
	href := firstArticle(t, h)
	p := htmlPage(t, h, href, 200)
	if got := text(findOne(t, p.doc, "h1", "")); got != "医保卡如何跨省使用" {
		t.Errorf("h1 %q", got)
	}
	if n := len(find(findOne(t, p.doc, "div", "doc-body"), "p")); n < 3 {
		t.Errorf("%d body paragraphs", n)
	}
	if len(find(findOne(t, p.doc, "header", "doc-head"), "time")) != 1 {
		t.Error("no date")
	}
	topics := find(p.doc, "a", "chip-topic")
	if len(topics) == 0 {
		t.Error("no topic chips")
	}
	related := findOne(t, p.doc, "section", "related")
	items := find(related, "li", "")
	if len(items) == 0 {
		t.Fatal("no 相关推荐")
	}
	for _, li := range items {
		title := findOne(t, li, "a", "linked-title")
		if v := mustQuery(t, attr(title, "href")); v.Get("q") != text(title) {
			t.Errorf("related %q links to %q, want a search for its title", text(title), attr(title, "href"))
		}
	}
	// A related item's own page lists the articles recommending it.
	var detail string
	for _, a := range find(items[0], "a") {
		if strings.HasPrefix(attr(a, "href"), "/articles/r") {
			detail = attr(a, "href")
		}
	}
	if detail == "" {
		t.Fatal("no link to the related item's page")
	}
	rp := htmlPage(t, h, detail, 200)
	if got := text(findOne(t, rp.doc, "span", "badge")); got != "相关推荐" {
		t.Errorf("related page label %q", got)
	}
	if len(find(findOne(t, rp.doc, "div", "doc-body"), "p")) == 0 {
		t.Error("related page has no snippet")
	}
	var back bool
	for _, a := range find(findOne(t, rp.doc, "section", "recommenders"), "a") {
		back = back || attr(a, "href") == href
	}
	if !back {
		t.Errorf("related page does not list %s among its recommending articles", href)
	}
}

func TestArticlePageNotFound(t *testing.T) {
	h := seedHandler(t)
	for _, id := range []string{"a0000000000000000", "nope", url.PathEscape(strings.Repeat("x", 300)), url.PathEscape("<b>x</b>")} {
		p := htmlPage(t, h, "/articles/"+id, 404)
		if !strings.Contains(text(findOne(t, p.doc, "h1", "")), "找不到") {
			t.Errorf("404 page for %q: %q", id, text(findOne(t, p.doc, "h1", "")))
		}
		if strings.Contains(p.body, "<b>x</b>") {
			t.Error("id rendered as HTML")
		}
	}
}

func TestSearchPageEscapesQuery(t *testing.T) {
	h := seedHandler(t)
	const attack = `<script>alert(1)</script>`
	for _, target := range []string{
		"/search?q=" + url.QueryEscape(attack),
		"/search?q=" + url.QueryEscape(attack) + "&province=" + url.QueryEscape(`"><img src=x onerror=alert(2)>`),
		"/search?q=" + url.QueryEscape(attack) + "&page=0",
	} {
		p := fetchPage(t, h, target)
		if strings.Contains(p.body, attack) || strings.Contains(p.body, "<img src=x") {
			t.Errorf("GET %s: markup from the query is live", target)
		}
		if !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("GET %s: the query is not shown as text", target)
		}
		if n := len(find(p.doc, "script")); n != 1 {
			t.Errorf("GET %s: %d <script> elements, want only ours", target, n)
		}
		if got := attr(findOne(t, p.doc, "input", ""), "value"); got != attack {
			t.Errorf("GET %s: search box %q", target, got)
		}
	}
}

// hostileSearcher returns documents whose every field is markup, to check
// that document text reaches the page only as text.
type hostileSearcher struct{}

const hostile = `<img src=x onerror=alert(1)>"'&`

func (hostileSearcher) Search(_ context.Context, req search.Request) (*search.Result, error) {
	frags := []search.Fragment{{Text: hostile}, {Text: hostile, Match: true}}
	return &search.Result{
		Query: req.Query, Total: 1, Page: req.Page, Size: req.Size,
		Hits: []search.Hit{{
			ID: "a1", Type: "article", Title: hostile, URL: "/articles/a1", Date: "2025-01-01",
			Provinces: []string{hostile}, Topics: []string{hostile},
			TitleFrags: frags, SnippetFrag: frags,
			TitleHTML: hostile, SnippetHTML: hostile,
		}},
		Facets: search.Facets{
			Province: []search.FacetValue{{Value: hostile, Count: 1}},
			Topic:    []search.FacetValue{{Value: hostile, Count: 1, Selected: true}},
			Date:     []search.FacetValue{{Value: hostile, Count: 1}},
		},
	}, nil
}

func (hostileSearcher) Document(_ context.Context, id string) (*search.Document, error) {
	ref := search.DocRef{ID: "r1", Type: "related", Title: hostile, Snippet: hostile, Date: "2025-01-01", URL: "/articles/r1"}
	return &search.Document{ID: id, Type: "article", Title: hostile, Body: []string{hostile, hostile},
		Date: "2025-01-01", Provinces: []string{hostile}, Cities: []string{hostile}, Topics: []string{hostile},
		Related: []search.DocRef{ref}, Articles: []search.DocRef{ref}}, nil
}

func (hostileSearcher) Suggest(context.Context, string, int) ([]search.Suggestion, error) {
	return []search.Suggestion{{Text: hostile, Kind: "title"}}, nil
}

func (hostileSearcher) AllFacets(context.Context) (search.Facets, error) {
	return search.Facets{Province: []search.FacetValue{{Value: hostile, Count: 3}}, Topic: []search.FacetValue{{Value: hostile, Count: 2}}}, nil
}

func (hostileSearcher) Ready(context.Context) error { return nil }

// Hints come back hostile too: a filter value and similar queries that
// try to break out of the markup.
func (hostileSearcher) Hints(context.Context, search.Request) (*search.Hints, error) {
	return &search.Hints{DropFilters: []search.DroppedFilter{{Param: "province", Value: hostile, Total: 3}}, Similar: []string{hostile}}, nil
}

func TestPagesEscapeDocumentText(t *testing.T) {
	h := NewHandler(hostileSearcher{}, Options{})
	for _, target := range []string{"/", "/search?q=x&topic=" + url.QueryEscape(hostile), "/articles/a1"} {
		p := htmlPage(t, h, target, 200)
		if strings.Contains(p.body, "<img") {
			t.Errorf("GET %s: document text rendered as markup", target)
		}
		if !strings.Contains(p.body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("GET %s: document text missing", target)
		}
		if len(find(p.doc, "img")) != 0 {
			t.Errorf("GET %s: an <img> element made it into the page", target)
		}
	}
	// Highlighting still marks, around escaped text.
	p := htmlPage(t, h, "/search?q=x", 200)
	marks := find(findOne(t, p.doc, "h2", "hit-title"), "mark")
	if len(marks) != 1 || text(marks[0]) != hostile {
		t.Errorf("marks %v", marks)
	}
}

func TestStaticCaching(t *testing.T) {
	h := seedHandler(t)
	home := htmlPage(t, h, "/", 200)
	var css string
	for _, l := range find(home.doc, "link") {
		if attr(l, "rel") == "stylesheet" {
			css = attr(l, "href")
		}
	}
	if !strings.Contains(css, "?v=") {
		t.Fatalf("stylesheet %q is not versioned", css)
	}
	p := fetchPage(t, h, css)
	if p.status != 200 || !strings.Contains(p.header.Get("Cache-Control"), "immutable") {
		t.Errorf("versioned asset: %d %q", p.status, p.header.Get("Cache-Control"))
	}
	etag := p.header.Get("ETag")
	req := httptest.NewRequest(http.MethodGet, "/static/site.css", nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("unversioned asset cached as immutable: %q", cc)
	}
	if p := fetchPage(t, h, "/"); p.header.Get("Cache-Control") != "private, no-cache" {
		t.Errorf("page Cache-Control %q", p.header.Get("Cache-Control"))
	}
}

func TestHomePage(t *testing.T) {
	h := seedHandler(t)
	p := htmlPage(t, h, "/", 200)
	in := findOne(t, p.doc, "input", "")
	for k, v := range map[string]string{"name": "q", "role": "combobox", "aria-autocomplete": "list", "aria-controls": "suggest-list"} {
		if attr(in, k) != v {
			t.Errorf("search box %s=%q, want %q", k, attr(in, k), v)
		}
	}
	if len(find(p.doc, "a", "chip-topic")) == 0 || len(find(p.doc, "a", "chip-province")) == 0 {
		t.Error("no popular topics or provinces")
	}
	for _, a := range find(p.doc, "a", "chip-query") {
		target := attr(a, "href")
		if got := resultTotal(t, htmlPage(t, h, target, 200)); got == 0 {
			t.Errorf("example %q finds nothing", text(a))
		}
	}
}

func TestPageQueryURL(t *testing.T) {
	q := pageQuery{
		Q: "医保 卡&x", Type: "article", Provinces: []string{"广西", "江苏"}, Topics: []string{"医保"},
		DateFrom: "2025-04-01", DateTo: "2025-04-30", Sort: search.SortDate, Page: 3, Size: 20,
	}
	want := "/search?q=%E5%8C%BB%E4%BF%9D+%E5%8D%A1%26x&type=article&province=%E5%B9%BF%E8%A5%BF&province=%E6%B1%9F%E8%8B%8F" +
		"&topic=%E5%8C%BB%E4%BF%9D&date_from=2025-04-01&date_to=2025-04-30&sort=date&size=20&page=3"
	if got := q.url(); got != want {
		t.Errorf("url()\n got %s\nwant %s", got, want)
	}
	// Round trip through the API's parser.
	u, _ := url.Parse(q.url())
	req, err := search.ParseRequest(u.Query())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fromRequest(req)) != fmt.Sprint(q) {
		t.Errorf("round trip: %+v, want %+v", fromRequest(req), q)
	}
	// Defaults are left out.
	if got := (pageQuery{Sort: search.SortRelevance, Page: 1, Size: search.DefaultPageSize}).url(); got != "/search" {
		t.Errorf("defaults: %s", got)
	}
	// with copies: changing the copy leaves the original alone.
	c := q.with(func(n *pageQuery) { n.Provinces = toggled(n.Provinces, "广西") })
	if !slices.Equal(q.Provinces, []string{"广西", "江苏"}) || !slices.Equal(c.Provinces, []string{"江苏"}) || c.Page != 1 {
		t.Errorf("with: original %q, copy %q page %d", q.Provinces, c.Provinces, c.Page)
	}
}

func TestPager(t *testing.T) {
	q := pageQuery{Q: "x", Page: 50}
	p, past := newPager(q, 1000)
	if past != "" || p.Last != 100 || p.Current != 50 {
		t.Fatalf("pager %+v past %q", p, past)
	}
	var got []string
	for _, pl := range p.Pages {
		if pl.Gap {
			got = append(got, "…")
		} else {
			got = append(got, strconv.Itoa(pl.N))
		}
	}
	if want := "1 … 48 49 50 51 52 … 100"; strings.Join(got, " ") != want {
		t.Errorf("pages %s, want %s", strings.Join(got, " "), want)
	}
	// The engine's result window caps the last page.
	p, _ = newPager(pageQuery{Q: "x", Size: 100}, 1<<40)
	if p.Last != search.MaxWindow/100 {
		t.Errorf("last page %d past the result window", p.Last)
	}
	if p, _ := newPager(pageQuery{Q: "x"}, 7); p != nil {
		t.Error("a pager for one page")
	}
	if _, past := newPager(pageQuery{Q: "x", Page: 9}, 25); past != "/search?q=x&page=3" {
		t.Errorf("past the end links to %q", past)
	}
}

// BenchmarkSearchPage measures rendering a results page, search included.
func BenchmarkSearchPage(b *testing.B) {
	h := seedHandler(b)
	req := httptest.NewRequest(http.MethodGet, "/search?q="+url.QueryEscape("医保卡跨省"), nil)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		io.Discard.Write(rec.Body.Bytes())
	}
}

func TestUnknownPath(t *testing.T) {
	h := seedHandler(t)
	// Browsers get a page.
	p := htmlPage(t, h, "/no/such/page", 404)
	if !strings.Contains(text(findOne(t, p.doc, "h1", "")), "找不到") {
		t.Error("404 page has no heading")
	}
	// API clients, and anything not asking for HTML, keep the JSON error.
	for _, target := range []string{"/api/nope", "/no/such/page"} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		if strings.HasPrefix(target, "/api/") {
			req.Header.Set("Accept", "text/html")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 404 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") || !strings.Contains(rec.Body.String(), `"not_found"`) {
			t.Errorf("GET %s: %d %s %s", target, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
}
