package search

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/internal/scorchx"
)

// The doc table must say what the index says: every document's id order,
// type, date and facet values, as bleve reads them from the documents.
func TestDocTableMatchesStoredDocuments(t *testing.T) {
	g, r := seedSnapshot(t)
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 10000, 0, false)
	req.Fields = []string{"*"}
	req.SortBy([]string{"_id"})
	res, err := g.idx.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) < 50 {
		t.Fatalf("only %d documents in the seeds index", len(res.Hits))
	}
	tab := g.table
	live := 0
	for _, ok := range tab.live {
		if ok {
			live++
		}
	}
	if live != len(res.Hits) {
		t.Fatalf("table has %d live documents, index %d", live, len(res.Hits))
	}
	prevRank := -1
	for _, h := range res.Hits {
		iid, err := r.InternalID(h.ID)
		if err != nil {
			t.Fatal(err)
		}
		doc, ok := scorchx.DocNum(iid)
		if !ok || !tab.live[doc] {
			t.Fatalf("%s: document %x not live in the table", h.ID, []byte(iid))
		}
		if rank := int(tab.idRank[doc]); rank <= prevRank {
			t.Errorf("%s: id rank %d after %d: not in id order", h.ID, rank, prevRank)
		} else {
			prevRank = rank
		}
		if want := fieldString(h.Fields, indexer.FieldType) == indexer.TypeArticle; tab.article[doc] != want {
			t.Errorf("%s: article = %v, want %v", h.ID, tab.article[doc], want)
		}
		wantDate := fieldString(h.Fields, indexer.FieldDate)
		switch got := tab.date[doc]; {
		case wantDate == "" && got != noDate:
			t.Errorf("%s: date %d, want none", h.ID, got)
		case wantDate != "":
			d, err := time.Parse(time.RFC3339, wantDate)
			if err != nil {
				if d, err = time.Parse(time.DateOnly, wantDate); err != nil {
					t.Fatal(err)
				}
			}
			if got != d.UnixNano() {
				t.Errorf("%s: date %d, want %d (%s)", h.ID, got, d.UnixNano(), wantDate)
			}
		}
		for i, f := range facetDefs {
			var got []string
			for _, ord := range tab.facets[i].of(doc) {
				got = append(got, tab.facets[i].values[ord])
			}
			want := fieldStrings(h.Fields, f.field)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("%s: %s = %v, want %v", h.ID, f.field, got, want)
			}
		}
	}
}

// seedSnapshot returns the seeds engine's generation and a reader of it,
// closed when the test ends.
func seedSnapshot(t *testing.T) (*generation, index.IndexReader) {
	t.Helper()
	g := seedEngine.current.Load()
	adv, err := g.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return g, r
}

// Facet counts and totals of the collector equal bleve's for the same
// queries.
func TestCollectFacetsMatchBleve(t *testing.T) {
	g, r := seedSnapshot(t)
	term := func(field, v string) query.Query {
		q := query.NewTermQuery(v)
		q.SetField(field)
		return q
	}
	queries := []query.Query{
		query.NewMatchAllQuery(),
		term(indexer.FieldType, indexer.TypeRelated),
		term(indexer.FieldBody, "医保"),
		query.NewDisjunctionQuery([]query.Query{term(indexer.FieldTitle, "医保"), term(indexer.FieldSnippet, "医院")}),
	}
	all := []bool{true, true, true}
	for _, q := range queries {
		col, err := g.table.collect(context.Background(), r, g.idx.Mapping(), q, collectOptions{facets: all})
		if err != nil {
			t.Fatal(err)
		}
		req := bleve.NewSearchRequestOptions(q, 0, 0, false)
		for _, f := range facetDefs {
			req.AddFacet(f.name, bleve.NewFacetRequest(f.field, f.size))
		}
		res, err := g.idx.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		if col.total != res.Total {
			t.Errorf("%T: total %d, bleve %d", q, col.total, res.Total)
		}
		if res.Total == 0 {
			t.Errorf("%T: matches nothing; the test needs matches", q)
		}
		for i, f := range facetDefs {
			var want []termCount
			for _, tf := range res.Facets[f.name].Terms.Terms() {
				want = append(want, termCount{tf.Term, tf.Count})
			}
			if got := g.table.facets[i].top(col.counts[i], f.size); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%T %s: %v, bleve %v", q, f.name, got, want)
			}
		}
	}
}

// The collector's phrase check finds the documents bleve's match phrase
// query finds, in the title and the body.
func TestPhraseCheckMatchesBleve(t *testing.T) {
	g, r := seedSnapshot(t)
	phrases := []string{"医保卡跨省", "乙肝 怀孕", "高血压", "乙肝病毒", "异地就医", "潮虫", "的治疗", "怎么办", "不孕不育", "医疗保险", "检查 乙肝"}
	checked := 0
	for _, text := range phrases {
		for _, field := range []string{indexer.FieldTitle, indexer.FieldBody} {
			pq := query.NewMatchPhraseQuery(text)
			pq.SetField(field)
			pq.Analyzer = analysis.AnalyzerName
			res, err := g.idx.Search(bleve.NewSearchRequestOptions(pq, 10000, 0, false))
			if err != nil {
				t.Fatal(err)
			}
			want := map[uint32]bool{}
			for _, h := range res.Hits {
				iid, _ := r.InternalID(h.ID)
				d, _ := scorchx.DocNum(iid)
				want[d] = true
			}
			b := &phraseBonus{text: analysis.FoldText(text), field: field, bonus: 1}
			if _, err := b.Searcher(context.Background(), r, g.idx.Mapping(), bsearch.SearcherOptions{}); err != nil {
				t.Fatal(err)
			}
			pc := newPhraseCheck(context.Background(), r, b)
			for doc, live := range g.table.live {
				if !live {
					continue
				}
				got, err := pc.at(uint32(doc))
				if err != nil {
					t.Fatal(err)
				}
				if got != want[uint32(doc)] {
					t.Errorf("phrase %q in %s, document %d: %v, bleve %v", text, field, doc, got, want[uint32(doc)])
				}
			}
			pc.close()
			checked += len(want)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d phrase matches in all: the test needs more", checked)
	}
}

// The collector keeps only a page's worth of hits and checks phrases only
// for documents that could enter it: every page must still be the slice of
// the full ranking.
func TestPagesAreSlicesOfTheFullRanking(t *testing.T) {
	queries := []string{"医保卡跨省使用", "医保 报销", "异地就医怎么报销", "高血压 饮食", "医保余额能在外地使用吗",
		"长期居住异地医保怎么用", "宜宾异地医保政策", "潮虫", "医院", "农村合作医疗", "检查", "汉中社保基数20000每月扣多少"}
	for _, q := range queries {
		for _, sort := range []string{SortRelevance, SortDate} {
			full := doSearch(t, Request{Query: q, Sort: sort, Page: 1, Size: MaxPageSize})
			all := hitIDs(full.Hits)
			if len(all) == 0 {
				t.Errorf("%q: no hits", q)
				continue
			}
			for _, size := range []int{1, 3, 10} {
				for page := 1; (page-1)*size < len(all) && page <= 4; page++ {
					res := doSearch(t, Request{Query: q, Sort: sort, Page: page, Size: size})
					want := all[(page-1)*size : min(page*size, len(all))]
					if got := hitIDs(res.Hits); fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%q sort %s page %d size %d: %v, want %v", q, sort, page, size, got, want)
					}
					if res.Total != full.Total {
						t.Errorf("%q: total %d on page %d size %d, %d on the full page", q, res.Total, page, size, full.Total)
					}
				}
			}
		}
	}
}

// A collection split in two halves of the document numbers, run at once,
// gives what one pass gives: hits, totals and facet counts, for every kind
// of request.
func TestParallelCollectionMatchesSerial(t *testing.T) {
	queries := []string{"医保卡跨省使用", "医保 报销", "异地就医怎么报销", "医院", "农村合作医疗", "汉中社保基数20000每月扣多少", "检查", ""}
	reqs := func(q string) []Request {
		return []Request{
			{Query: q, Page: 1, Size: 10},
			{Query: q, Page: 2, Size: 3},
			{Query: q, Page: 1, Size: 10, Sort: SortDate},
			{Query: q, Page: 1, Size: 5, Provinces: []string{"广西"}},
			{Query: q, Page: 1, Size: 5, Topics: []string{"医保"}},
		}
	}
	type outcome struct {
		total  uint64
		ids    []string
		facets Facets
	}
	run := func() map[string]outcome {
		out := map[string]outcome{}
		for _, q := range queries {
			for i, req := range reqs(q) {
				res := doSearch(t, req)
				out[fmt.Sprint(q, i)] = outcome{res.Total, hitIDs(res.Hits), res.Facets}
			}
		}
		return out
	}
	serial := run()
	defer func(n uint64) { parallelCount = n }(parallelCount)
	parallelCount = 0
	parallel := run()
	hits := 0
	for k, want := range serial {
		got := parallel[k]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: split %+v, one pass %+v", k, got, want)
		}
		hits += len(want.ids)
	}
	if hits < 100 {
		t.Fatalf("only %d hits in all: the test needs more", hits)
	}
}

// The lazily scored title cover gives each document the score its own
// searcher gives it, and never more than its bound.
func TestLazyCoverScoresAndBound(t *testing.T) {
	g, r := seedSnapshot(t)
	ctx := searchContext(context.Background(), g.idx.Mapping())
	checked := 0
	for _, text := range []string{"医保卡如何跨省使用", "异地就医怎么报销", "农村合作医疗380元报销范围", "乙肝 怀孕"} {
		lc := &lazyClause{inner: &bigramQuery{text: text, field: indexer.FieldTitleNgram, boost: boostTitleCover}}
		probe, err := lc.Searcher(ctx, r, g.idx.Mapping(), bsearch.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		const norm = 0.37
		probe.SetQueryNorm(norm)
		ref, err := (&bigramQuery{text: text, field: indexer.FieldTitleNgram, boost: boostTitleCover}).Searcher(ctx, r, g.idx.Mapping(), bsearch.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ref.SetQueryNorm(norm)
		want := map[uint32]float64{}
		sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(ref.DocumentMatchPoolSize()+1, 0), IndexReader: r}
		for {
			dm, err := ref.Next(sctx)
			if err != nil {
				t.Fatal(err)
			}
			if dm == nil {
				break
			}
			d, _ := scorchx.DocNum(dm.IndexInternalID)
			want[d] = dm.Score
		}
		b := lc.builds[0]
		bound := b.bound()
		lctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(b.s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
		for doc, live := range g.table.live {
			if !live {
				continue
			}
			got, err := b.score(lctx, uint32(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got != want[uint32(doc)] {
				t.Errorf("%q, document %d: lazy %v, searcher %v", text, doc, got, want[uint32(doc)])
			}
			if got > bound {
				t.Errorf("%q, document %d: score %v above the bound %v", text, doc, got, bound)
			}
		}
		checked += len(want)
		_ = probe.Close()
		_ = ref.Close()
	}
	if checked < 10 {
		t.Fatalf("only %d documents matched: the test needs more", checked)
	}
}
