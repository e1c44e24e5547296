package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"healthsearch/search"
)

// The search page: results, facets, pager, corrections and the hints of a
// search that found nothing.

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
