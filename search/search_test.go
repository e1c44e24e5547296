package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"healthsearch/indexer"
	"healthsearch/page"
)

func doSearch(t *testing.T, req Request) *Result {
	t.Helper()
	if req.Page == 0 {
		req.Page = 1
	}
	if req.Size == 0 {
		req.Size = DefaultPageSize
	}
	res, err := seedEngine.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	if res.Hits == nil {
		t.Fatalf("Search(%+v): nil hits; the API promises a list", req)
	}
	return res
}

// browseAll returns every document of the seeds index, newest first.
func browseAll(t *testing.T, req Request) []Hit {
	t.Helper()
	var all []Hit
	req.Size = MaxPageSize
	for page := 1; ; page++ {
		req.Page = page
		res := doSearch(t, req)
		all = append(all, res.Hits...)
		if len(res.Hits) < req.Size {
			if uint64(len(all)) != res.Total {
				t.Fatalf("paged through %d hits, total says %d", len(all), res.Total)
			}
			return all
		}
	}
}

func hitIDs(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func assertNoDuplicates(t *testing.T, hits []Hit) {
	t.Helper()
	seen := map[string]bool{}
	for _, h := range hits {
		if seen[h.ID] {
			t.Errorf("hit %s (%s) listed twice", h.ID, h.Title)
		}
		seen[h.ID] = true
	}
}

func assertNewestFirst(t *testing.T, hits []Hit) {
	t.Helper()
	for i := 1; i < len(hits); i++ {
		if hits[i].Date > hits[i-1].Date {
			t.Errorf("hit %d dated %s after hit %d dated %s: not newest first", i, hits[i].Date, i-1, hits[i-1].Date)
			return
		}
	}
}

func TestSearchTopHit(t *testing.T) {
	for _, q := range []string{"医保卡跨省", "医保卡 跨省", "醫保卡跨省", "医保卡跨省？"} {
		res := doSearch(t, Request{Query: q})
		if len(res.Hits) == 0 {
			t.Errorf("%q: no hits", q)
			continue
		}
		top := res.Hits[0]
		if top.Title != "医保卡如何跨省使用" || top.Type != indexer.TypeArticle {
			t.Errorf("%q: first hit %q (%s), want the article 医保卡如何跨省使用", q, top.Title, top.Type)
		}
		if !strings.Contains(top.TitleHTML, "<mark>医保卡</mark>") || !strings.Contains(top.TitleHTML, "跨省") {
			t.Errorf("%q: title_html %q, want 医保卡 marked", q, top.TitleHTML)
		}
		if !strings.Contains(top.SnippetHTML, "<mark>") {
			t.Errorf("%q: snippet_html %q has no mark", q, top.SnippetHTML)
		}
		if res.Relaxed {
			t.Errorf("%q: relaxed, but the top hit has every word", q)
		}
		if top.URL != "/articles/"+top.ID || top.Date == "" || top.Score <= 0 {
			t.Errorf("%q: hit %+v", q, top)
		}
		if res.Query != q || res.Page != 1 || res.Size != DefaultPageSize || res.TookMS < 0 {
			t.Errorf("%q: result header %q page %d size %d took %v", q, res.Query, res.Page, res.Size, res.TookMS)
		}
	}
}

func TestSearchChaoChong(t *testing.T) {
	res := doSearch(t, Request{Query: "潮虫", Size: MaxPageSize})
	titles := map[string]bool{}
	for _, h := range res.Hits {
		if h.Type != indexer.TypeRelated || !strings.Contains(h.Title, "潮虫") {
			t.Errorf("hit %q (%s) is not a 潮虫 item", h.Title, h.Type)
		}
		if titles[h.Title] {
			t.Errorf("%q listed twice", h.Title)
		}
		titles[h.Title] = true
		if len(h.ArticleIDs) != 1 {
			t.Errorf("%q: article ids %v", h.Title, h.ArticleIDs)
		}
	}
	assertNoDuplicates(t, res.Hits)
	if len(titles) != 6 || res.Total != 6 {
		t.Errorf("total %d, %d distinct titles %v; want the six 潮虫 items", res.Total, len(titles), titles)
	}
}

// User text is never bleve query-string syntax: operators, fields, quotes
// and wildcards are plain characters.
func TestSearchQuerySyntaxIsLiteral(t *testing.T) {
	for _, q := range []string{
		`+医保 -卡 title:x "abc`,
		`医保 AND 卡 OR NOT 跨省`,
		`title:医保卡`,
		`医保~2 卡^10`,
		`*`, `?`, `\`, `"`, `(医保`, `[1 TO 2]`, `/医.*/`, `{}`, `:`, `-`, `+`, `&&||!`,
		`<script>alert(1)</script>`,
		`date:>2025-01-01`,
	} {
		res, err := seedEngine.Search(context.Background(), Request{Query: q, Page: 1, Size: 10})
		if err != nil {
			t.Errorf("%q: %v", q, err)
			continue
		}
		if res.Hits == nil {
			t.Errorf("%q: nil hits", q)
		}
	}
	// -卡 does not exclude documents with 卡, and the field prefix does not
	// restrict anything: the words are searched as text.
	res := doSearch(t, Request{Query: `+医保 -卡 title:x "abc`, Size: MaxPageSize})
	withCard := false
	for _, h := range res.Hits {
		withCard = withCard || strings.Contains(h.Title, "卡")
	}
	if !withCard {
		t.Errorf("no hit with 卡 in its title: the minus sign was taken as an operator")
	}
}

func TestSearchEmptyQueryBrowsesNewestFirst(t *testing.T) {
	all := browseAll(t, Request{})
	if len(all) != 105 {
		t.Fatalf("browsing found %d documents, want 105", len(all))
	}
	assertNewestFirst(t, all)
	assertNoDuplicates(t, all)
	res := doSearch(t, Request{Query: "   "})
	if res.Total != 105 {
		t.Errorf("blank query: total %d, want 105", res.Total)
	}
	for _, h := range res.Hits {
		if strings.Contains(h.TitleHTML, "<mark>") || strings.Contains(h.SnippetHTML, "<mark>") {
			t.Errorf("browse hit %q has marks", h.Title)
		}
	}
}

func TestSearchFilters(t *testing.T) {
	all := browseAll(t, Request{})
	count := func(keep func(Hit) bool) uint64 {
		var n uint64
		for _, h := range all {
			if keep(h) {
				n++
			}
		}
		return n
	}
	// Values that exist in the seeds, taken from the documents themselves.
	var province, city, topic string
	for _, h := range all {
		if province == "" && len(h.Provinces) > 0 {
			province = h.Provinces[0]
		}
		if city == "" && len(h.Cities) > 0 {
			city = h.Cities[0]
		}
		if topic == "" && len(h.Topics) > 0 {
			topic = h.Topics[0]
		}
	}
	if province == "" || city == "" || topic == "" {
		t.Fatalf("seeds index has no places or topics: enrichment did not run (%q %q %q)", province, city, topic)
	}
	cases := []struct {
		name string
		req  Request
		keep func(Hit) bool
	}{
		{"type article", Request{Type: indexer.TypeArticle}, func(h Hit) bool { return h.Type == indexer.TypeArticle }},
		{"type related", Request{Type: indexer.TypeRelated}, func(h Hit) bool { return h.Type == indexer.TypeRelated }},
		{"province " + province, Request{Provinces: []string{province}}, func(h Hit) bool { return slices.Contains(h.Provinces, province) }},
		{"city " + city, Request{Cities: []string{city}}, func(h Hit) bool { return slices.Contains(h.Cities, city) }},
		{"topic " + topic, Request{Topics: []string{topic}}, func(h Hit) bool { return slices.Contains(h.Topics, topic) }},
		{"two provinces (any of)", Request{Provinces: []string{province, "广西"}}, func(h Hit) bool {
			return slices.Contains(h.Provinces, province) || slices.Contains(h.Provinces, "广西")
		}},
		{"province and type (all of)", Request{Provinces: []string{province}, Type: indexer.TypeRelated}, func(h Hit) bool {
			return slices.Contains(h.Provinces, province) && h.Type == indexer.TypeRelated
		}},
		{"one day, inclusive", Request{DateFrom: "2025-04-04", DateTo: "2025-04-04"}, func(h Hit) bool { return h.Date == "2025-04-04" }},
		{"date_from inclusive", Request{DateFrom: "2025-04-19"}, func(h Hit) bool { return h.Date >= "2025-04-19" }},
		{"date_to inclusive", Request{DateTo: "2025-03-30"}, func(h Hit) bool { return h.Date <= "2025-03-30" }},
		{"date range", Request{DateFrom: "2025-03-27", DateTo: "2025-04-19"}, func(h Hit) bool { return h.Date >= "2025-03-27" && h.Date <= "2025-04-19" }},
		{"no such province", Request{Provinces: []string{"火星"}}, func(Hit) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := browseAll(t, c.req)
			want := count(c.keep)
			if uint64(len(got)) != want {
				t.Errorf("%d hits, want %d", len(got), want)
			}
			if want == uint64(len(all)) {
				t.Errorf("filter does not narrow anything (bad test case)")
			}
			for _, h := range got {
				if !c.keep(h) {
					t.Errorf("hit %q (%s %s %v %v %v) does not pass the filter", h.Title, h.Type, h.Date, h.Provinces, h.Cities, h.Topics)
				}
			}
			assertNewestFirst(t, got)
		})
	}
	t.Run("filter with a query", func(t *testing.T) {
		res := doSearch(t, Request{Query: "医保", Type: indexer.TypeArticle, Size: MaxPageSize})
		if res.Total == 0 || res.Total > 5 {
			t.Errorf("医保 among articles: %d hits", res.Total)
		}
		for _, h := range res.Hits {
			if h.Type != indexer.TypeArticle {
				t.Errorf("hit %q is %s", h.Title, h.Type)
			}
		}
	})
}

func TestSearchSortByDate(t *testing.T) {
	rel := doSearch(t, Request{Query: "医保", Size: MaxPageSize})
	byDate := doSearch(t, Request{Query: "医保", Size: MaxPageSize, Sort: SortDate})
	if rel.Total != byDate.Total || rel.Total == 0 {
		t.Fatalf("totals %d (relevance) and %d (date)", rel.Total, byDate.Total)
	}
	assertNewestFirst(t, byDate.Hits)
	a, b := hitIDs(rel.Hits), hitIDs(byDate.Hits)
	slices.Sort(a)
	slices.Sort(b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("sorting by date changed which documents match")
	}
}

func TestSearchPagination(t *testing.T) {
	for _, sort := range []string{SortRelevance, SortDate} {
		t.Run(sort, func(t *testing.T) {
			whole := doSearch(t, Request{Query: "医保", Sort: sort, Size: MaxPageSize})
			if whole.Total < 12 {
				t.Fatalf("only %d hits for 医保", whole.Total)
			}
			var paged []Hit
			for page := 1; ; page++ {
				res := doSearch(t, Request{Query: "医保", Sort: sort, Page: page, Size: 5})
				if res.Page != page || res.Size != 5 || res.Total != whole.Total {
					t.Fatalf("page %d: header page %d size %d total %d", page, res.Page, res.Size, res.Total)
				}
				if len(res.Hits) == 0 {
					break
				}
				paged = append(paged, res.Hits...)
			}
			assertNoDuplicates(t, paged)
			if len(paged) != int(whole.Total) {
				t.Errorf("pages hold %d hits, total %d", len(paged), whole.Total)
			}
			if reflect.DeepEqual(hitIDs(paged[:5]), hitIDs(paged[5:10])) {
				t.Error("page 2 repeats page 1")
			}
			if sort == SortDate && !reflect.DeepEqual(hitIDs(paged), hitIDs(whole.Hits)) {
				t.Error("pages of 5 do not concatenate to the one page of 100")
			}
		})
	}
	res := doSearch(t, Request{Query: "医保", Page: 1000, Size: 10})
	if len(res.Hits) != 0 || res.Total == 0 {
		t.Errorf("page past the end: %d hits, total %d", len(res.Hits), res.Total)
	}
}

func TestSearchRelaxedFallback(t *testing.T) {
	res := doSearch(t, Request{Query: "医保卡 火星人"})
	if !res.Relaxed {
		t.Error("no document has 火星人, yet the result is not marked relaxed")
	}
	if len(res.Hits) == 0 {
		t.Fatal("relaxed search found nothing")
	}
	if h := res.Hits[0]; !strings.Contains(h.Title+h.SnippetHTML, "医保卡") {
		t.Errorf("first relaxed hit %q does not mention 医保卡", h.Title)
	}
	if res := doSearch(t, Request{Query: "火星人"}); res.Total != 0 {
		t.Errorf("火星人 alone: %d hits", res.Total)
	}
	if res := doSearch(t, Request{Query: "zzzz qqqq"}); res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("nonsense: %d hits", res.Total)
	}
}

func sumCounts(vals []FacetValue) int {
	n := 0
	for _, v := range vals {
		n += v.Count
	}
	return n
}

func TestSearchFacets(t *testing.T) {
	for _, q := range []string{"", "医保", "异地就医"} {
		t.Run("q="+q, func(t *testing.T) {
			res := doSearch(t, Request{Query: q})
			// Every document has one month, so the date facet adds up to the total.
			if got := sumCounts(res.Facets.Date); uint64(got) != res.Total {
				t.Errorf("date facet counts add up to %d, total %d", got, res.Total)
			}
			for i := 1; i < len(res.Facets.Date); i++ {
				if res.Facets.Date[i].Value >= res.Facets.Date[i-1].Value {
					t.Errorf("date facet not newest first: %v", res.Facets.Date)
				}
			}
			if len(res.Facets.Province) == 0 || len(res.Facets.Topic) == 0 {
				t.Fatalf("facets %+v", res.Facets)
			}
			// Each value's count is what selecting it gives.
			for _, fv := range res.Facets.Province {
				if got := doSearch(t, Request{Query: q, Provinces: []string{fv.Value}}).Total; got != uint64(fv.Count) {
					t.Errorf("province %s: facet says %d, filter gives %d", fv.Value, fv.Count, got)
				}
				if fv.Selected {
					t.Errorf("province %s selected with no filter", fv.Value)
				}
			}
			for _, fv := range res.Facets.Topic {
				if got := doSearch(t, Request{Query: q, Topics: []string{fv.Value}}).Total; got != uint64(fv.Count) {
					t.Errorf("topic %s: facet says %d, filter gives %d", fv.Value, fv.Count, got)
				}
			}
			for _, fv := range res.Facets.Date {
				month, err := time.Parse("2006-01", fv.Value)
				if err != nil {
					t.Fatalf("date facet value %q is not a month", fv.Value)
				}
				from, to := month.Format(time.DateOnly), month.AddDate(0, 1, -1).Format(time.DateOnly)
				inMonth := doSearch(t, Request{Query: q, DateFrom: from, DateTo: to})
				if inMonth.Total != uint64(fv.Count) {
					t.Errorf("month %s: facet says %d, filter gives %d", fv.Value, fv.Count, inMonth.Total)
				}
				// Disjunctive: within the month's range, the month facet
				// still counts every month as without the range.
				if !reflect.DeepEqual(inMonth.Facets.Date, res.Facets.Date) {
					t.Errorf("month %s selected: date facet %v, want the unfiltered %v", fv.Value, inMonth.Facets.Date, res.Facets.Date)
				}
			}
			for i := 1; i < len(res.Facets.Province); i++ {
				if res.Facets.Province[i].Count > res.Facets.Province[i-1].Count {
					t.Errorf("province facet not by count: %v", res.Facets.Province)
				}
			}
		})
	}
}

// Selecting a province keeps the other provinces listed with the counts
// they would give, while the results and the other facets narrow.
func TestSearchDisjunctiveFacets(t *testing.T) {
	base := doSearch(t, Request{})
	if len(base.Facets.Province) < 2 {
		t.Fatalf("need two provinces, have %v", base.Facets.Province)
	}
	pick := base.Facets.Province[0]
	res := doSearch(t, Request{Provinces: []string{pick.Value}})
	if res.Total != uint64(pick.Count) {
		t.Errorf("total %d, facet said %d", res.Total, pick.Count)
	}
	if !reflect.DeepEqual(facetNames(res.Facets.Province), facetNames(base.Facets.Province)) {
		t.Errorf("province facet with %s selected:\n%v\nwant every province as before:\n%v", pick.Value, res.Facets.Province, base.Facets.Province)
	}
	for i, fv := range res.Facets.Province {
		if fv.Count != base.Facets.Province[i].Count {
			t.Errorf("%s: count %d with a province selected, %d without", fv.Value, fv.Count, base.Facets.Province[i].Count)
		}
		if fv.Selected != (fv.Value == pick.Value) {
			t.Errorf("%s: selected = %v", fv.Value, fv.Selected)
		}
	}
	// The date facet is over the filtered results.
	if got := sumCounts(res.Facets.Date); uint64(got) != res.Total {
		t.Errorf("date facet adds up to %d with the filter, total %d", got, res.Total)
	}
	// Another facet's filter does narrow the province counts.
	topic := base.Facets.Topic[len(base.Facets.Topic)-1]
	both := doSearch(t, Request{Provinces: []string{pick.Value}, Topics: []string{topic.Value}})
	for _, fv := range both.Facets.Province {
		want := doSearch(t, Request{Provinces: []string{fv.Value}, Topics: []string{topic.Value}}).Total
		if uint64(fv.Count) != want {
			t.Errorf("province %s with topic %s: facet %d, filter gives %d", fv.Value, topic.Value, fv.Count, want)
		}
	}
	// A selected value that matches nothing still shows, so it can be unselected.
	none := doSearch(t, Request{Provinces: []string{"火星"}})
	found := false
	for _, fv := range none.Facets.Province {
		if fv.Value == "火星" {
			found = fv.Selected && fv.Count == 0
		}
	}
	if !found {
		t.Errorf("selected 火星 not listed as selected with count 0: %v", none.Facets.Province)
	}
}

func facetNames(vals []FacetValue) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.Value
	}
	return out
}

// parsedSeed parses one seed page.
func parsedSeed(t *testing.T, name string) *page.Page {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(seedsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := page.ParsePage(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDocument(t *testing.T) {
	ctx := context.Background()
	pg := parsedSeed(t, "001_6a117c224b11a31a.txt")
	id := indexer.ArticleID("001_6a117c224b11a31a.txt")
	doc, err := seedEngine.Document(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ID != id || doc.Type != indexer.TypeArticle || doc.Title != "医保卡如何跨省使用" || doc.Date != page.ArticleDate(pg) {
		t.Errorf("article header %+v", doc)
	}
	if !reflect.DeepEqual(doc.Body, pg.Body) {
		t.Errorf("body paragraphs differ:\n got %q\nwant %q", doc.Body, pg.Body)
	}
	if doc.Provinces == nil || doc.Cities == nil || doc.Topics == nil {
		t.Errorf("nil place or topic lists: %+v", doc)
	}
	if len(doc.Articles) != 0 {
		t.Errorf("article lists articles %v", doc.Articles)
	}
	var wantRelated []string
	for _, it := range pg.Related {
		wantRelated = append(wantRelated, indexer.RelatedID(it))
	}
	var gotRelated []string
	for i, r := range doc.Related {
		gotRelated = append(gotRelated, r.ID)
		if i < len(pg.Related) {
			it := pg.Related[i]
			if r.Title != it.Title || r.Snippet != it.Snippet || r.Date != it.Date || r.Type != indexer.TypeRelated || r.URL != "/articles/"+r.ID {
				t.Errorf("related %d: %+v, want %+v", i, r, it)
			}
		}
	}
	if !reflect.DeepEqual(gotRelated, wantRelated) {
		t.Errorf("related items not in page order:\n got %v\nwant %v", gotRelated, wantRelated)
	}

	item := pg.Related[3]
	rdoc, err := seedEngine.Document(ctx, indexer.RelatedID(item))
	if err != nil {
		t.Fatal(err)
	}
	if rdoc.Type != indexer.TypeRelated || rdoc.Title != item.Title || rdoc.Snippet != item.Snippet || rdoc.Date != item.Date || len(rdoc.Body) != 0 {
		t.Errorf("related item %+v, want %+v", rdoc, item)
	}
	if len(rdoc.Articles) != 1 || rdoc.Articles[0].ID != id || rdoc.Articles[0].Title != pg.Title || rdoc.Articles[0].Type != indexer.TypeArticle {
		t.Errorf("related item's articles %+v, want the one article %s", rdoc.Articles, id)
	}

	for _, bad := range []string{"", "nope", id + "x", strings.Repeat("a", 65), "../" + id, "*"} {
		if _, err := seedEngine.Document(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Document(%q): %v, want ErrNotFound", bad, err)
		}
	}
}

func TestAllFacets(t *testing.T) {
	f, err := seedEngine.AllFacets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := doSearch(t, Request{})
	if !reflect.DeepEqual(facetNames(f.Province), facetNames(base.Facets.Province)) || sumCounts(f.Date) != 105 {
		t.Errorf("all facets %+v", f)
	}
}

func TestSearchValidates(t *testing.T) {
	for _, req := range []Request{{Page: 1, Size: 0}, {Page: 0, Size: 10}, {Page: 1, Size: 10, Sort: "score"}} {
		_, err := seedEngine.Search(context.Background(), req)
		var re *RequestError
		if !errors.As(err, &re) {
			t.Errorf("Search(%+v): %v, want a *RequestError", req, err)
		}
	}
}
