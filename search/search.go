package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/indexer"
)

// Result is one page of search results.
type Result struct {
	Query  string  `json:"query"`
	Total  uint64  `json:"total"`
	TookMS float64 `json:"took_ms"`
	Page   int     `json:"page"`
	Size   int     `json:"size"`
	// Relaxed is set when no document matched every query word and the
	// results match only some of them.
	Relaxed bool `json:"relaxed,omitempty"`
	// Partial is set when the search ran out of its work budget
	// (Options.WorkBudget): the hits, total and facets are of the
	// documents it reached.
	Partial bool `json:"partial,omitempty"`
	// Corrected is the query searched instead of Query, which looked like
	// a typo (a wrong homophone, or pinyin) and found too little.
	Corrected string `json:"corrected,omitempty"`
	// DidYouMean is a likely correction not applied: the query as typed
	// found enough.
	DidYouMean string `json:"did_you_mean,omitempty"`
	Hits       []Hit  `json:"hits"`
	Facets     Facets `json:"facets"`
	// Explain says how the query was analysed and ranked (Request.Explain).
	Explain *Explanation `json:"explain,omitempty"`
	// strict is how many documents matched every query word.
	strict uint64
}

// Hit is one search result.
type Hit struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	TitleHTML   string   `json:"title_html"`
	SnippetHTML string   `json:"snippet_html"`
	URL         string   `json:"url"`
	Date        string   `json:"date"`
	Provinces   []string `json:"provinces"`
	Cities      []string `json:"cities"`
	Topics      []string `json:"topics"`
	Score       float64  `json:"score"`
	ArticleIDs  []string `json:"article_ids"`
	// Explain lists what the hit matched (Request.Explain).
	Explain     *HitExplanation `json:"explain,omitempty"`
	TitleFrags  []Fragment      `json:"-"`
	SnippetFrag []Fragment      `json:"-"`
}

// Facets holds the facet counts of a search.
type Facets struct {
	Province []FacetValue `json:"province"`
	Topic    []FacetValue `json:"topic"`
	Date     []FacetValue `json:"date"`
}

// FacetValue is one facet value with the number of results it would give.
type FacetValue struct {
	Value    string `json:"value"`
	Count    int    `json:"count"`
	Selected bool   `json:"selected"`
}

const snippetRunes = 120

var hitFields = []string{
	indexer.FieldType, indexer.FieldTitle, indexer.FieldBody, indexer.FieldSnippet, indexer.FieldDate,
	indexer.FieldProvinces, indexer.FieldCities, indexer.FieldTopics, indexer.FieldArticleIDs,
}

// facet describes one facet: its field, its request parameter values and
// how many values to return.
type facet struct {
	name, field string
	size        int
}

// Indexes into facetDefs.
const (
	facetProvince = iota
	facetTopic
	facetDate
)

var facetDefs = []facet{
	{"province", indexer.FieldProvinces, 40},
	{"topic", indexer.FieldTopics, 40},
	{"date", indexer.FieldMonth, 120},
}

// Search runs a validated request. A query that looks like a typo (see
// speller) and finds fewer than fillBelow documents matching every word is
// searched corrected (Result.Corrected); one that finds enough keeps its
// results and gets the correction as a suggestion (Result.DidYouMean).
func (e *Engine) Search(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	g, r, release, err := e.snapshot()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer release()
	res, err := e.search(ctx, g, r, req)
	if err != nil || req.Exact || req.Query == "" {
		return res, err
	}
	if fix := g.speller.correct(req.Query, e.an, req.FuzzyPinyin); fix != "" && analysis.FoldText(fix) != analysis.FoldText(req.Query) {
		if res.strict >= fillBelow {
			res.DidYouMean = fix
		} else {
			fixed := req
			fixed.Query = fix
			alt, err := e.search(ctx, g, r, fixed)
			if err != nil {
				return nil, err
			}
			if alt.strict > res.strict {
				alt.Query, alt.Corrected = req.Query, fix
				res = alt
			} else if alt.strict > 0 {
				res.DidYouMean = fix
			}
		}
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// search runs req on one snapshot, as typed.
func (e *Engine) search(ctx context.Context, g *generation, r index.IndexReader, req Request) (*Result, error) {
	ctx = withStats(ctx, g.stats)
	start := time.Now()
	var err error
	plan := planQuery(req.Query, e.an, e.vocab)
	res := &Result{Query: req.Query, Page: req.Page, Size: req.Size, Hits: []Hit{}}
	m := g.idx.Mapping()

	filters := filterQueries(req)
	steps := []int{0}
	var rare []bool
	question := !plan.empty() && isQuestion(plan)
	if !plan.empty() && !question {
		groups := plan.required()
		if len(groups) > 1 {
			dfs := make([]uint64, len(groups))
			for i, grp := range groups {
				if dfs[i], err = groupDF(ctx, r, m, grp); err != nil {
					return nil, fmt.Errorf("search: %w", err)
				}
			}
			dfs = plan.keepRarest(dfs)
			rare = rareGroups(dfs, commonCutoff(g.docs))
		}
		steps = relaxations(len(plan.required()))
	}
	opts := collectOptions{
		keep: req.Page * req.Size,
		// Without words there is no relevance: newest first.
		byDate: plan.empty() || req.Sort == SortDate,
		facets: []bool{facetProvince: true, facetTopic: true, facetDate: true},
		// A short strict list is all there: the relaxed search ranks it first.
		first:  fillBelow,
		budget: e.workBudget(),
		// A related item that repeats an article's title is that article's
		// teaser: listed beside it, it takes a place on the page and says
		// nothing new. Asked for by type, it is what was asked for; a
		// browse without words lists every document.
		noEchoes: req.Type == "" && !plan.empty(),
	}
	// The province and topic filters are applied by the collector from the
	// doc table, which also makes their facets disjunctive in the same pass:
	// a facet with a selection counts over the results without its own
	// filter, so its other values show what switching or adding would give.
	opts.filters = make([]map[uint32]bool, len(facetDefs))
	for i, f := range facetDefs {
		if sel := selected(req, f.name); len(sel) > 0 {
			opts.filters[i] = g.table.facets[i].ordinals(sel)
		}
	}
	// The date range likewise: the month facet counts without it, so the
	// other months stay choosable (in the JSON API as on the page).
	if from, to, ok := dateBounds(req); ok {
		opts.dateRange = &[2]int64{from, to}
	}
	// With a province or topic filter, the steps that may relax further
	// are counted with the filter as a query clause: its postings lead the
	// conjunction, where the collector would read every text match to drop
	// most. Only the step that is kept needs the collector's full pass.
	facetFilters := facetFilterQueries(req)
	var col *collection
	var strictTotal uint64
	var strict map[uint32]bool
	var kept query.Query // the query of the step whose results are kept
	for i, minShould := range steps {
		text, rr := query.Query(query.NewMatchAllQuery()), (*rerank)(nil)
		switch {
		case question:
			text, rr = questionQuery(plan, commonCutoff(g.docs))
		case !plan.empty():
			text, rr = textQuery(plan, minShould, rare)
			if rr.allWords != nil {
				rr.allWords.docs = strict
			}
		}
		last := i == len(steps)-1
		var total uint64
		var first []uint32
		if len(facetFilters) > 0 && !last {
			c, err := g.table.collect(ctx, r, m, combine(text, slices.Concat(filters, facetFilters)), collectOptions{first: fillBelow, budget: e.workBudget()})
			if err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			total, first = c.total, c.first
		}
		if len(facetFilters) == 0 || last || total >= fillBelow {
			opts.rerank = rr
			kept = combine(text, filters)
			if col, err = g.table.collect(ctx, r, m, kept, opts); err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			total, first = col.total, col.first
		}
		if i == 0 {
			strictTotal = total
			strict = make(map[uint32]bool, len(first))
			for _, d := range first {
				strict[d] = true
			}
		}
		// A short list of documents matching every word is completed by
		// documents matching some (ranked after them, see textQuery).
		// A question of gradedFrom words or more is ranked by how much of
		// it a document covers, not cut at "every word": it goes on to the
		// last step, where a document missing one context word competes.
		graded := len(steps) > 1 && steps[0] >= gradedFrom && strictTotal < gradedUntil
		if (total >= fillBelow && !graded) || last {
			res.Relaxed = i > 0 && strictTotal == 0
			if req.Explain {
				res.Explain = explainPlan(plan, ranking(plan, question, req, i, strictTotal))
			}
			break
		}
	}
	res.Total = col.total
	res.Partial = col.partial
	res.strict = strictTotal
	from := min((req.Page-1)*req.Size, len(col.hits))
	dms, err := loadHits(r, col.hits[from:], hitFields)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hl := newHighlighter(plan.needles)
	for _, h := range dms {
		res.Hits = append(res.Hits, toHit(h, hl))
	}
	if req.Explain && len(res.Hits) > 0 {
		exps, err := explainHits(ctx, r, m, kept, col.hits[from:])
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for i := range res.Hits {
			res.Hits[i].Explain = exps[i]
		}
	}
	top := func(i int) []termCount { return g.table.facets[i].top(col.counts[i], facetDefs[i].size) }
	res.Facets = Facets{
		Province: facetValues(top(facetProvince), req.Provinces, false),
		Topic:    facetValues(top(facetTopic), req.Topics, false),
		Date:     facetValues(top(facetDate), nil, true),
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// ranking names the ranking a search got, for Explanation.Ranking.
// step is the relaxation step kept, strict the number of documents that
// matched every word.
func ranking(plan *queryPlan, question bool, req Request, step int, strict uint64) string {
	switch {
	case plan.empty() || req.Sort == SortDate:
		return "date"
	case question:
		return "question"
	case step > 0 && strict == 0:
		return "words, relaxed"
	case step > 0:
		return "words, filled"
	}
	return "words"
}

func selected(req Request, facet string) []string {
	switch facet {
	case "province":
		return req.Provinces
	case "topic":
		return req.Topics
	}
	return nil
}

// facetFilterQueries returns the province and topic filters as queries,
// for counting (Search); the collector applies them from the doc table.
func facetFilterQueries(req Request) []query.Query {
	var out []query.Query
	for _, f := range []struct {
		field string
		vals  []string
	}{{indexer.FieldProvinces, req.Provinces}, {indexer.FieldTopics, req.Topics}} {
		if len(f.vals) == 0 {
			continue
		}
		qs := make([]query.Query, len(f.vals))
		for i, v := range f.vals {
			t := query.NewTermQuery(v)
			t.SetField(f.field)
			qs[i] = t
		}
		out = append(out, query.NewDisjunctionQuery(qs))
	}
	if req.DateFrom != "" || req.DateTo != "" {
		out = append(out, dateRangeQuery(req))
	}
	return out
}

// filterQueries returns the filters the index applies: type and city.
// Province, topic and date are the collector's (collectOptions.filters and
// dateRange), which makes their facets disjunctive.
func filterQueries(req Request) []query.Query {
	var out []query.Query
	anyOf := func(field string, vals []string) {
		if len(vals) == 0 {
			return
		}
		qs := make([]query.Query, len(vals))
		for i, v := range vals {
			t := query.NewTermQuery(v)
			t.SetField(field)
			t.SetBoost(filterBoost)
			qs[i] = t
		}
		out = append(out, query.NewDisjunctionQuery(qs))
	}
	if req.Type != "" {
		anyOf(indexer.FieldType, []string{req.Type})
	}
	anyOf(indexer.FieldCities, req.Cities)
	return out
}

// requestDates returns the request's date range, to the end of its last
// day; a zero time for an open end (Validate has checked the dates).
func requestDates(req Request) (from, to time.Time) {
	if req.DateFrom != "" {
		from, _ = time.Parse(time.DateOnly, req.DateFrom)
	}
	if req.DateTo != "" {
		to, _ = time.Parse(time.DateOnly, req.DateTo)
		to = to.Add(24*time.Hour - time.Nanosecond)
	}
	return from, to
}

// dateBounds returns the request's date range as the doc table holds
// dates (Unix nanoseconds), ok false when the request has none.
func dateBounds(req Request) (lo, hi int64, ok bool) {
	if req.DateFrom == "" && req.DateTo == "" {
		return 0, 0, false
	}
	lo, hi = math.MinInt64+1, math.MaxInt64 // noDate is outside any range
	from, to := requestDates(req)
	if !from.IsZero() {
		lo = from.UnixNano()
	}
	if !to.IsZero() {
		hi = to.UnixNano()
	}
	return lo, hi, true
}

// dateRangeQuery is the date range as a query clause, for the counting
// passes that do not go through the collector's filters.
func dateRangeQuery(req Request) query.Query {
	from, to := requestDates(req)
	incl := true
	d := query.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
	d.SetField(indexer.FieldDate)
	d.SetBoost(filterBoost)
	return d
}

func combine(text query.Query, filters []query.Query) query.Query {
	if len(filters) == 0 {
		return text
	}
	return query.NewConjunctionQuery(append([]query.Query{text}, filters...))
}

func facetValues(counted []termCount, sel []string, byValueDesc bool) []FacetValue {
	out := []FacetValue{}
	seen := map[string]bool{}
	for _, t := range counted {
		out = append(out, FacetValue{Value: t.term, Count: t.count, Selected: slices.Contains(sel, t.term)})
		seen[t.term] = true
	}
	// A selected value always shows, so the user can unselect it.
	for _, s := range sel {
		if !seen[s] {
			out = append(out, FacetValue{Value: s, Count: 0, Selected: true})
		}
	}
	if byValueDesc {
		sort.Slice(out, func(i, j int) bool { return out[i].Value > out[j].Value })
	} else {
		sort.SliceStable(out, func(i, j int) bool {
			if out[i].Count != out[j].Count {
				return out[i].Count > out[j].Count
			}
			return out[i].Value < out[j].Value
		})
	}
	return out
}

func toHit(h *bsearch.DocumentMatch, hl *highlighter) Hit {
	hit := Hit{
		ID:         h.ID,
		Type:       fieldString(h.Fields, indexer.FieldType),
		Title:      fieldString(h.Fields, indexer.FieldTitle),
		Date:       dateOnly(fieldString(h.Fields, indexer.FieldDate)),
		Provinces:  fieldStrings(h.Fields, indexer.FieldProvinces),
		Cities:     fieldStrings(h.Fields, indexer.FieldCities),
		Topics:     fieldStrings(h.Fields, indexer.FieldTopics),
		ArticleIDs: fieldStrings(h.Fields, indexer.FieldArticleIDs),
		Score:      h.Score,
		URL:        "/articles/" + h.ID,
	}
	hit.TitleFrags = hl.whole(hit.Title)
	text := fieldString(h.Fields, indexer.FieldSnippet)
	if hit.Type == indexer.TypeArticle {
		text = strings.ReplaceAll(fieldString(h.Fields, indexer.FieldBody), "\n", " ")
	}
	hit.SnippetFrag = hl.excerpt(text, snippetRunes)
	hit.TitleHTML = FragmentsHTML(hit.TitleFrags)
	hit.SnippetHTML = FragmentsHTML(hit.SnippetFrag)
	return hit
}

func dateOnly(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

func fieldString(fields map[string]interface{}, name string) string {
	switch v := fields[name].(type) {
	case string:
		return v
	case []interface{}:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	}
	return ""
}

func fieldStrings(fields map[string]interface{}, name string) []string {
	switch v := fields[name].(type) {
	case string:
		return []string{v}
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{}
}
