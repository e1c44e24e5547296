package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"healthsearch/search"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

const siteName = "健康搜索"

var (
	pageTemplates = mustParsePages(templateFiles, "home", "search", "article", "error")
	static        = mustLoadStatic(staticFiles)
)

// registerPages adds the HTML pages.
func (s *Server) registerPages(r *gin.Engine) {
	r.GET("/", s.homePage)
	r.GET("/search", s.searchPage)
	r.GET("/articles/:id", s.articlePage)
	r.GET("/static/*filepath", static.serve)
}

// mustParsePages parses the shared layout once and, for each page, a clone
// of it with the page's own blocks: every page defines "content", so they
// cannot share one template set.
func mustParsePages(fsys fs.FS, names ...string) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(template.FuncMap{
		"typeLabel": typeLabel,
	}).ParseFS(fsys, "templates/layout.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(fsys, "templates/"+n+".html"))
	}
	return out
}

// staticAssets serves the embedded static files. Pages link them with
// ?v=<hash of all files>, so a versioned URL never changes content and can
// be cached for a year; an unversioned one is cached briefly.
type staticAssets struct {
	version string
	etags   map[string]string
	files   http.Handler
}

func mustLoadStatic(embedded embed.FS) *staticAssets {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	a := &staticAssets{etags: map[string]string{}, files: http.FileServer(http.FS(sub))}
	all := sha256.New()
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.etags["/"+p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		all.Write([]byte(p))
		all.Write(sum[:])
		return nil
	})
	if err != nil {
		panic(err)
	}
	a.version = hex.EncodeToString(all.Sum(nil)[:6])
	return a
}

func (a *staticAssets) serve(c *gin.Context) {
	name := path.Clean(c.Param("filepath"))
	etag, ok := a.etags[name]
	if !ok {
		// Also keeps http.FileServer from listing directories.
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	if c.Query("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	// Embedded files have no modification time; the ETag lets
	// http.ServeContent answer revalidations with 304.
	h.Set("ETag", etag)
	req := c.Request.Clone(c.Request.Context())
	req.URL.Path = name
	a.files.ServeHTTP(c.Writer, req)
}

// layout is what every page's frame needs.
type layout struct {
	Title string
	Asset string
	Form  searchForm
}

// searchForm is the search box in the header. Hidden carries the current
// filters, so a new query keeps them; they stay visible as removable chips.
type searchForm struct {
	Query     string
	Hidden    []field
	Autofocus bool
	// Fuzzy ticks the 模糊音 box: the search treats n/l, z/zh … as one.
	Fuzzy bool
}

type field struct{ Name, Value string }

// link is a labelled URL, with a result count where one is known.
type link struct {
	Label string
	URL   string
	Count int
}

func (s *Server) newLayout(title, query string) layout {
	if title == "" {
		title = siteName
	} else {
		title += " - " + siteName
	}
	return layout{Title: title, Asset: static.version, Form: searchForm{Query: query}}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "request_id", c.GetString(ctxRequestID), "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error"))
		return
	}
	// Results follow the live index, and health questions are personal:
	// no shared caches, always revalidate.
	c.Header("Cache-Control", "private, no-cache")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
	Detail  string
	Links   []link
}

func (s *Server) errorPage(c *gin.Context, status int, heading, message, detail string, links ...link) {
	p := errorPage{layout: s.newLayout(heading, ""), Status: status, Heading: heading, Message: message, Detail: detail, Links: links}
	p.Form.Query = c.Query("q")
	s.render(c, status, "error", p)
	c.Abort()
}

// pageFailure answers an engine error with an HTML page; the JSON API's
// internalError is for API clients.
func (s *Server) pageFailure(c *gin.Context, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		s.errorPage(c, http.StatusServiceUnavailable, "搜索超时", "这次搜索用时太长。请稍后重试，或换一个更具体的搜索词。", "")
		return
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The browser went away (a closed tab, a new search typed over the
		// old one): nobody reads the page, and it is no error of ours.
		c.AbortWithStatus(statusClientClosed)
		return
	}
	id := c.GetString(ctxRequestID)
	s.log.Error("page failed", "request_id", id, "path", c.FullPath(), "err", err)
	s.errorPage(c, http.StatusInternalServerError, "出错了", "服务器处理请求时出错，请稍后重试。", "请求编号 "+id)
}

// noRoute answers unknown paths: a page for browsers, the API's JSON error
// for /api/ and for clients that do not ask for HTML.
func (s *Server) noRoute(c *gin.Context) {
	if !strings.HasPrefix(c.Request.URL.Path, "/api/") && strings.Contains(c.GetHeader("Accept"), "text/html") {
		s.errorPage(c, http.StatusNotFound, "找不到页面", "这个地址没有内容，可以在上方搜索，或回到首页。", "",
			link{Label: "返回首页", URL: "/"})
		return
	}
	apiError(c, http.StatusNotFound, "not_found", "no such page: "+c.Request.URL.Path)
}

// exampleQueries are shown on the home page and after a fruitless search:
// real questions the corpus answers.
var exampleQueries = []string{"医保卡跨省", "异地就医备案", "医保个人账户", "家庭共济", "生育保险报销"}

type homePage struct {
	layout
	Examples  []link
	Topics    []link
	Provinces []link
}

func (s *Server) homePage(c *gin.Context) {
	p := homePage{layout: s.newLayout("", "")}
	p.Form.Autofocus = true
	for _, q := range exampleQueries {
		p.Examples = append(p.Examples, link{Label: q, URL: pageQuery{Q: q}.url()})
	}
	// Popular values are a convenience: without them the page still works.
	f, err := s.s.AllFacets(c.Request.Context())
	if err != nil {
		s.log.Warn("home page facets", "request_id", c.GetString(ctxRequestID), "err", err)
	}
	for i, v := range f.Topic {
		if i == 12 {
			break
		}
		p.Topics = append(p.Topics, link{Label: v.Value, URL: pageQuery{Topics: []string{v.Value}}.url(), Count: v.Count})
	}
	for i, v := range f.Province {
		if i == 16 {
			break
		}
		p.Provinces = append(p.Provinces, link{Label: v.Value, URL: pageQuery{Provinces: []string{v.Value}}.url(), Count: v.Count})
	}
	s.render(c, http.StatusOK, "home", p)
}

// pageQuery is a search as the pages' links carry it. Links are built by
// copying the current one and changing one thing, so every link keeps the
// rest of the search: the query, the other filters, the sort and the size.
type pageQuery struct {
	Q                         string
	Type                      string
	Provinces, Cities, Topics []string
	DateFrom, DateTo          string
	Sort                      string
	Page, Size                int
	Exact                     bool // no typo correction
	FuzzyPinyin               bool // n/l, z/zh, in/ing … heard as one
}

func fromRequest(r search.Request) pageQuery {
	return pageQuery{
		Q: r.Query, Type: r.Type, Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics,
		DateFrom: r.DateFrom, DateTo: r.DateTo, Sort: r.Sort, Page: r.Page, Size: r.Size, Exact: r.Exact,
		FuzzyPinyin: r.FuzzyPinyin,
	}
}

func (q pageQuery) request() search.Request {
	return search.Request{
		Query: q.Q, Type: q.Type, Provinces: q.Provinces, Cities: q.Cities, Topics: q.Topics,
		DateFrom: q.DateFrom, DateTo: q.DateTo, Sort: q.Sort, Page: max(q.Page, 1), Size: orDefault(q.Size, search.DefaultPageSize),
		Exact: q.Exact, FuzzyPinyin: q.FuzzyPinyin,
	}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// url encodes the search in a fixed parameter order, leaving out defaults,
// so equal searches have equal, readable URLs.
func (q pageQuery) url() string {
	var b strings.Builder
	b.WriteString("/search")
	sep := byte('?')
	add := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	add("q", q.Q)
	add("type", q.Type)
	for _, v := range q.Provinces {
		add("province", v)
	}
	for _, v := range q.Cities {
		add("city", v)
	}
	for _, v := range q.Topics {
		add("topic", v)
	}
	add("date_from", q.DateFrom)
	add("date_to", q.DateTo)
	if q.Sort != "" && q.Sort != search.SortRelevance {
		add("sort", q.Sort)
	}
	if q.Size > 0 && q.Size != search.DefaultPageSize {
		add("size", strconv.Itoa(q.Size))
	}
	if q.Page > 1 {
		add("page", strconv.Itoa(q.Page))
	}
	if q.Exact {
		add("exact", "1")
	}
	if q.FuzzyPinyin {
		add("fuzzy_pinyin", "1")
	}
	if sep == '?' {
		return "/search"
	}
	return b.String()
}

// with returns a copy changed by f, on page 1: a different search starts
// at its beginning. The copy has its own slices, so f may change them.
func (q pageQuery) with(f func(*pageQuery)) pageQuery {
	c := q
	c.Provinces = slices.Clone(q.Provinces)
	c.Cities = slices.Clone(q.Cities)
	c.Topics = slices.Clone(q.Topics)
	c.Page = 1
	f(&c)
	return c
}

// toggled adds v to list, or removes it when present.
func toggled(list []string, v string) []string {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return append(list, v)
}

func (q pageQuery) hasFilters() bool {
	return q.Type != "" || len(q.Provinces)+len(q.Cities)+len(q.Topics) > 0 || q.DateFrom != "" || q.DateTo != ""
}

// hidden is the search as form fields, for the search box to keep the
// filters. Dates are left to the date-range inputs, which belong to the
// same form, and the page always restarts at 1.
func (q pageQuery) hidden() []field {
	var out []field
	if q.Type != "" {
		out = append(out, field{"type", q.Type})
	}
	for _, v := range q.Provinces {
		out = append(out, field{"province", v})
	}
	for _, v := range q.Cities {
		out = append(out, field{"city", v})
	}
	for _, v := range q.Topics {
		out = append(out, field{"topic", v})
	}
	if q.Sort != "" && q.Sort != search.SortRelevance {
		out = append(out, field{"sort", q.Sort})
	}
	if q.Size > 0 && q.Size != search.DefaultPageSize {
		out = append(out, field{"size", strconv.Itoa(q.Size)})
	}
	return out
}

// monthRange returns the first and last day of a YYYY-MM month.
func monthRange(month string) (from, to string, ok bool) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", "", false
	}
	return t.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly), true
}

func monthLabel(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
}

func typeLabel(t string) string {
	switch t {
	case "article":
		return "文章"
	case "related":
		return "相关推荐"
	}
	return t
}

// paramLabels names request parameters for people.
var paramLabels = map[string]string{
	"q": "搜索词", "type": "类型", "province": "省份", "city": "城市", "topic": "主题",
	"date_from": "开始日期", "date_to": "结束日期", "sort": "排序", "page": "页码", "size": "每页条数", "exact": "精确搜索", "fuzzy_pinyin": "模糊音",
}

type searchPage struct {
	layout
	Q          pageQuery
	Res        *search.Result
	Took       string
	Hits       []hitView
	Chips      []link
	ClearAll   string
	Types      []option
	Sorts      []option
	Facets     []facetGroup
	DateFrom   string
	DateTo     string
	Pager      *pager
	PastEnd    string // URL of the last page when the page asked for is beyond it
	NoResults  bool
	DropFilter []link
	Similar    []link
	Examples   []link
	// Correction is the likely typo fix: Applied when the hits are those
	// of the corrected query (Exact then links to the query as typed).
	Correction *correction
}

type correction struct {
	Text, URL string
	Applied   bool
	Exact     string
}

type hitView struct {
	search.Hit
	Places []link
	Topics []link
}

type option struct {
	Label   string
	URL     string
	Current bool
}

type facetGroup struct {
	Title string
	Param string
	Top   []facetItem
	More  []facetItem
}

type facetItem struct {
	Label    string
	Value    string
	Count    int
	Selected bool
	URL      string
}

type pager struct {
	Prev, Next string
	Pages      []pageLink
	Current    int
	Last       int
}

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

// facetShown is how many values of a facet show before "更多".
const facetShown = 10

func (s *Server) searchPage(c *gin.Context) {
	raw := c.Request.URL.Query()
	req, err := search.ParseRequest(raw)
	if err != nil {
		s.badSearch(c, err, raw)
		return
	}
	// A form submits its empty fields too (date_from=&date_to=); send the
	// browser to the clean URL, so what people copy and share is readable.
	if hasEmptyParam(raw) {
		c.Redirect(http.StatusSeeOther, fromRequest(req).url())
		return
	}
	ctx := c.Request.Context()
	res, err := s.s.Search(ctx, req)
	if err != nil {
		var re *search.RequestError
		if errors.As(err, &re) {
			s.badSearch(c, err, raw)
			return
		}
		s.pageFailure(c, err)
		return
	}
	q := fromRequest(req)
	title := "搜索"
	if q.Q != "" {
		title = q.Q + " - 搜索"
	}
	p := searchPage{layout: s.newLayout(title, q.Q), Q: q, Res: res, DateFrom: q.DateFrom, DateTo: q.DateTo}
	p.Form.Hidden = q.hidden()
	p.Form.Fuzzy = q.FuzzyPinyin
	p.Took = strconv.FormatFloat(res.TookMS, 'f', 0, 64)
	if res.TookMS < 10 {
		p.Took = strconv.FormatFloat(res.TookMS, 'f', 1, 64)
	}
	for _, h := range res.Hits {
		hv := hitView{Hit: h}
		for _, v := range h.Provinces {
			hv.Places = append(hv.Places, link{Label: v, URL: q.with(func(n *pageQuery) {
				if !slices.Contains(n.Provinces, v) {
					n.Provinces = append(n.Provinces, v)
				}
			}).url()})
		}
		for _, v := range h.Topics {
			hv.Topics = append(hv.Topics, link{Label: v, URL: q.with(func(n *pageQuery) {
				if !slices.Contains(n.Topics, v) {
					n.Topics = append(n.Topics, v)
				}
			}).url()})
		}
		p.Hits = append(p.Hits, hv)
	}
	p.Chips = filterChips(q)
	if len(p.Chips) > 1 {
		p.ClearAll = pageQuery{Q: q.Q, Sort: q.Sort, Size: q.Size}.url()
	}
	for _, t := range []struct{ value, label string }{{"", "全部"}, {"article", "文章"}, {"related", "相关推荐"}} {
		p.Types = append(p.Types, option{Label: t.label, Current: q.Type == t.value,
			URL: q.with(func(n *pageQuery) { n.Type = t.value }).url()})
	}
	if q.Q != "" {
		for _, o := range []struct{ value, label string }{{search.SortRelevance, "按相关度"}, {search.SortDate, "按日期"}} {
			p.Sorts = append(p.Sorts, option{Label: o.label, Current: q.Sort == o.value,
				URL: q.with(func(n *pageQuery) { n.Sort = o.value }).url()})
		}
	}
	// The month facet is disjunctive in the engine: it counts without the
	// date range, so other months stay choosable.
	months := res.Facets.Date
	switch {
	case res.Corrected != "":
		p.Correction = &correction{Text: res.Corrected, URL: pageQuery{Q: res.Corrected}.url(), Applied: true,
			Exact: q.with(func(n *pageQuery) { n.Exact = true }).url()}
	case res.DidYouMean != "":
		p.Correction = &correction{Text: res.DidYouMean, URL: q.with(func(n *pageQuery) { n.Q = res.DidYouMean }).url()}
	}
	p.Facets = facetGroups(q, res.Facets, months)
	p.Pager, p.PastEnd = newPager(q, res.Total)
	if res.Total == 0 {
		p.NoResults = true
		if h, err := s.s.Hints(ctx, q.request()); err == nil {
			p.DropFilter, p.Similar = hintLinks(q, h)
		}
		for _, e := range exampleQueries {
			p.Examples = append(p.Examples, link{Label: e, URL: pageQuery{Q: e}.url()})
		}
	}
	s.render(c, http.StatusOK, "search", p)
}

func hasEmptyParam(v url.Values) bool {
	for name, vals := range v {
		if _, known := paramLabels[name]; !known {
			continue
		}
		for _, x := range vals {
			if strings.TrimSpace(x) == "" {
				return true
			}
		}
	}
	return false
}

// badSearch shows what is wrong with a search URL and a way on. Parameters
// are named in words, the value is shown escaped, never as JSON.
func (s *Server) badSearch(c *gin.Context, err error, raw url.Values) {
	detail := err.Error()
	name := "参数"
	var re *search.RequestError
	if errors.As(err, &re) {
		detail = re.Message
		if l, ok := paramLabels[re.Param]; ok {
			name = "“" + l + "”"
		} else {
			name = "参数 " + re.Param
		}
	}
	links := []link{{Label: "返回首页", URL: "/"}}
	if qs := raw["q"]; len(qs) > 0 && utf8.ValidString(qs[0]) && utf8.RuneCountInString(qs[0]) <= search.MaxQueryRunes && strings.TrimSpace(qs[0]) != "" {
		links = append([]link{{Label: "只搜索“" + strings.TrimSpace(qs[0]) + "”", URL: pageQuery{Q: strings.TrimSpace(qs[0])}.url()}}, links...)
	}
	p := errorPage{
		layout:  s.newLayout("搜索条件有误", ""),
		Status:  http.StatusBadRequest,
		Heading: "搜索条件有误",
		Message: name + "的值无法使用，请修改后重新搜索。",
		Detail:  detail,
		Links:   links,
	}
	if qs := raw["q"]; len(qs) > 0 && utf8.ValidString(qs[0]) {
		p.Form.Query = qs[0]
	}
	s.render(c, http.StatusBadRequest, "error", p)
}

// filterChips lists the selected filters, each linking to the search
// without it.
func filterChips(q pageQuery) []link {
	var out []link
	if q.Type != "" {
		out = append(out, link{Label: "类型：" + typeLabel(q.Type), URL: q.with(func(n *pageQuery) { n.Type = "" }).url()})
	}
	for _, v := range q.Provinces {
		out = append(out, link{Label: "省份：" + v, URL: q.with(func(n *pageQuery) { n.Provinces = toggled(n.Provinces, v) }).url()})
	}
	for _, v := range q.Cities {
		out = append(out, link{Label: "城市：" + v, URL: q.with(func(n *pageQuery) { n.Cities = toggled(n.Cities, v) }).url()})
	}
	for _, v := range q.Topics {
		out = append(out, link{Label: "主题：" + v, URL: q.with(func(n *pageQuery) { n.Topics = toggled(n.Topics, v) }).url()})
	}
	if q.DateFrom != "" || q.DateTo != "" {
		out = append(out, link{Label: "日期：" + dateRangeLabel(q.DateFrom, q.DateTo),
			URL: q.with(func(n *pageQuery) { n.DateFrom, n.DateTo = "", "" }).url()})
	}
	return out
}

func dateRangeLabel(from, to string) string {
	if from != "" && to != "" {
		// A range that is exactly one month reads as the month facet does.
		if len(from) >= 7 {
			if f, t, ok := monthRange(from[:7]); ok && f == from && t == to {
				return monthLabel(from[:7])
			}
		}
		return from + " 至 " + to
	}
	if from != "" {
		return from + " 起"
	}
	return "至 " + to
}

// facetGroups turns facet counts into links that toggle one value. Values
// of one facet combine with OR and facets with AND, as in the API; the
// counts of a facet with a selection are the API's disjunctive counts, so
// they say what adding that value would give.
func facetGroups(q pageQuery, f search.Facets, months []search.FacetValue) []facetGroup {
	group := func(title, param string, vals []search.FacetValue, item func(v search.FacetValue) facetItem) facetGroup {
		g := facetGroup{Title: title, Param: param}
		for i, v := range vals {
			it := item(v)
			if i < facetShown || it.Selected {
				g.Top = append(g.Top, it)
			} else {
				g.More = append(g.More, it)
			}
		}
		return g
	}
	return []facetGroup{
		group("省份", "province", f.Province, func(v search.FacetValue) facetItem {
			return facetItem{Label: v.Value, Value: v.Value, Count: v.Count, Selected: v.Selected,
				URL: q.with(func(n *pageQuery) { n.Provinces = toggled(n.Provinces, v.Value) }).url()}
		}),
		group("主题", "topic", f.Topic, func(v search.FacetValue) facetItem {
			return facetItem{Label: v.Value, Value: v.Value, Count: v.Count, Selected: v.Selected,
				URL: q.with(func(n *pageQuery) { n.Topics = toggled(n.Topics, v.Value) }).url()}
		}),
		group("月份", "month", months, func(v search.FacetValue) facetItem {
			from, to, _ := monthRange(v.Value)
			sel := from != "" && q.DateFrom == from && q.DateTo == to
			return facetItem{Label: monthLabel(v.Value), Value: v.Value, Count: v.Count, Selected: sel,
				URL: q.with(func(n *pageQuery) {
					if sel {
						n.DateFrom, n.DateTo = "", ""
					} else {
						n.DateFrom, n.DateTo = from, to
					}
				}).url()}
		}),
	}
}

// pagerRadius is how many page numbers show on each side of the current.
const pagerRadius = 2

func newPager(q pageQuery, total uint64) (*pager, string) {
	size := orDefault(q.Size, search.DefaultPageSize)
	last := int(min(total, math.MaxInt32)+uint64(size)-1) / size
	// The engine refuses pages past its result window.
	last = min(last, search.MaxWindow/size)
	cur := max(q.Page, 1)
	at := func(n int) string { c := q; c.Page = n; return c.url() }
	if last == 0 {
		return nil, ""
	}
	if cur > last {
		return nil, at(last)
	}
	if last == 1 {
		return nil, ""
	}
	p := &pager{Current: cur, Last: last}
	if cur > 1 {
		p.Prev = at(cur - 1)
	}
	if cur < last {
		p.Next = at(cur + 1)
	}
	prev := 0
	for n := 1; n <= last; n++ {
		if n != 1 && n != last && (n < cur-pagerRadius || n > cur+pagerRadius) {
			continue
		}
		if n > prev+1 {
			p.Pages = append(p.Pages, pageLink{Gap: true})
		}
		p.Pages = append(p.Pages, pageLink{N: n, URL: at(n), Current: n == cur})
		prev = n
	}
	return p, ""
}

// hintLinks turns the engine's hints into links: each filter whose removal
// finds results, labelled as its chip is, and the similar queries.
func hintLinks(q pageQuery, h *search.Hints) (drops, similar []link) {
	for _, d := range h.DropFilters {
		var label string
		var n pageQuery
		switch d.Param {
		case "":
			label, n = "去掉全部筛选条件", pageQuery{Q: q.Q, Sort: q.Sort, Size: q.Size, Exact: q.Exact, FuzzyPinyin: q.FuzzyPinyin}
		case "type":
			label, n = "去掉“"+typeLabel(q.Type)+"”", q.with(func(n *pageQuery) { n.Type = "" })
		case "province":
			label, n = "去掉“"+d.Value+"”", q.with(func(n *pageQuery) { n.Provinces = toggled(n.Provinces, d.Value) })
		case "city":
			label, n = "去掉“"+d.Value+"”", q.with(func(n *pageQuery) { n.Cities = toggled(n.Cities, d.Value) })
		case "topic":
			label, n = "去掉“"+d.Value+"”", q.with(func(n *pageQuery) { n.Topics = toggled(n.Topics, d.Value) })
		case "date":
			label, n = "去掉“"+dateRangeLabel(q.DateFrom, q.DateTo)+"”", q.with(func(n *pageQuery) { n.DateFrom, n.DateTo = "", "" })
		default:
			continue
		}
		drops = append(drops, link{Label: label, URL: n.url(), Count: int(min(d.Total, math.MaxInt32))})
	}
	for _, alt := range h.Similar {
		similar = append(similar, link{Label: alt, URL: q.with(func(n *pageQuery) { n.Q = alt }).url()})
	}
	return drops, similar
}

type articlePage struct {
	layout
	Doc        *search.Document
	Paragraphs []string
	Places     []link
	Topics     []link
	Related    []relatedView
	Articles   []link
	SearchURL  string
}

type relatedView struct {
	search.DocRef
	SearchURL string
}

func (s *Server) articlePage(c *gin.Context) {
	id := c.Param("id")
	doc, err := s.s.Document(c.Request.Context(), id)
	if errors.Is(err, search.ErrNotFound) {
		if utf8.RuneCountInString(id) > 64 {
			id = string([]rune(id)[:64]) + "…"
		}
		s.errorPage(c, http.StatusNotFound, "找不到这篇内容", "没有编号为“"+id+"”的文章或推荐内容，它可能已在索引更新时移除。", "",
			link{Label: "返回首页", URL: "/"})
		return
	}
	if err != nil {
		s.pageFailure(c, err)
		return
	}
	p := articlePage{layout: s.newLayout(doc.Title, ""), Doc: doc, SearchURL: pageQuery{Q: doc.Title}.url()}
	for _, para := range doc.Body {
		if para = strings.TrimSpace(para); para != "" {
			p.Paragraphs = append(p.Paragraphs, para)
		}
	}
	if len(p.Paragraphs) == 0 && doc.Snippet != "" {
		p.Paragraphs = []string{doc.Snippet}
	}
	for _, v := range doc.Provinces {
		p.Places = append(p.Places, link{Label: v, URL: pageQuery{Provinces: []string{v}}.url()})
	}
	for _, v := range doc.Cities {
		p.Places = append(p.Places, link{Label: v, URL: pageQuery{Cities: []string{v}}.url()})
	}
	for _, v := range doc.Topics {
		p.Topics = append(p.Topics, link{Label: v, URL: pageQuery{Topics: []string{v}}.url()})
	}
	for _, r := range doc.Related {
		p.Related = append(p.Related, relatedView{DocRef: r, SearchURL: pageQuery{Q: r.Title}.url()})
	}
	for _, a := range doc.Articles {
		p.Articles = append(p.Articles, link{Label: a.Title, URL: a.URL})
	}
	s.render(c, http.StatusOK, "article", p)
}
