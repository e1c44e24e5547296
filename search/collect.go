package search

import (
	"context"
	"fmt"
	"runtime"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/internal/scorchx"
)

// Searches run their query's searcher themselves instead of through
// bleve's TopNCollector: the collector decoded every hit's facet fields
// from doc values and, to break ties by _id, read every hit's id from its
// stored fields; here both come from the generation's docTable, and only
// the hits on the page are read from the index.

// hitRef is a collected document and its score.
type hitRef struct {
	doc   uint32
	score float64
}

// collectOptions say what a collection keeps.
type collectOptions struct {
	// keep is the number of best hits to keep (page × size).
	keep int
	// byDate orders by date first (newest first, undated last).
	byDate bool
	// facets says which of facetDefs to count.
	facets []bool
	// rerank, when set, holds the bonuses the collector applies; it also
	// rounds the scores.
	rerank *rerank
	// first is the number of matches to list in collection.first.
	first int
	// filters holds, for each of facetDefs, the ordinals of the values a
	// document must have one of (nil: no filter). The counts of a facet
	// with a filter leave out that filter.
	filters []map[uint32]bool
	// dateRange, when set, is the date facet's filter: documents dated
	// outside [from, to] (or undated) fail it, and the month counts leave
	// it out as each facet's counts leave out its own filter.
	dateRange *[2]int64
	// budget, when positive, is the number of matches the collection may
	// visit; it stops there and says so (collection.partial).
	budget int
	// noEchoes leaves out the related items that repeat an article's
	// title (docTable.echo).
	noEchoes bool
}

// collection is what a search collected.
type collection struct {
	total uint64
	// hits are the best hits, best first.
	hits []hitRef
	// counts holds, for each counted facet, the count per value ordinal.
	counts [][]int
	// first lists the first matches in document order (collectOptions.first).
	first []uint32
	// partial is set when the collection ran out of its budget before
	// the searcher ran out of matches.
	partial bool
}

// better orders hits: newest first when byDate, then by score, then by id.
func (t *docTable) better(a, b hitRef, byDate bool) bool {
	if byDate {
		if da, db := t.date[a.doc], t.date[b.doc]; da != db {
			return da > db
		}
	}
	if a.score != b.score {
		return a.score > b.score
	}
	return t.idRank[a.doc] < t.idRank[b.doc]
}

// searchContext is what bleve's index sets up for a search's searchers.
func searchContext(ctx context.Context, m mapping.IndexMapping) context.Context {
	model := index.DefaultScoringModel
	if im, ok := m.(*mapping.IndexMappingImpl); ok && im.ScoringModel == index.BM25Scoring {
		model = index.BM25Scoring
	}
	return scorchx.WithScoringModel(ctx, model)
}

// parallelCount is the size of a searcher (bleve's Count: the postings
// its terms hold) from which a collection is split in two. The halves run
// on two cores, so a broad query answers in about half the time; below
// this size building the second searcher costs more than it saves
// (measured over bench/queries.txt on the 8× corpus: 20k cost the median
// query a tenth, 50k keeps it and takes a fifth off the p99).
var parallelCount uint64 = 50000

// collect runs q over the snapshot r and collects its matches. A large
// query is collected as two halves of the document numbers at once, each
// with its own searcher, and the halves merged: every half keeps its own
// best hits, which hold the best of all.
func (t *docTable) collect(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, o collectOptions) (*collection, error) {
	sctx := searchContext(ctx, m)
	if o.rerank != nil && o.rerank.cover != nil {
		o.rerank.cover.builds = nil // the searchers built below, in order
	}
	s, err := q.Searcher(sctx, r, m, bsearch.SearcherOptions{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if s.Count() < parallelCount || t.size < 2 || runtime.GOMAXPROCS(0) < 2 {
		return t.collectRange(ctx, sctx, r, s, 0, 0, uint32(t.size), o)
	}
	s2, err := q.Searcher(sctx, r, m, bsearch.SearcherOptions{})
	if err != nil {
		return nil, err
	}
	defer s2.Close()
	mid := uint32(t.size / 2)
	// Each half keeps the whole budget: matches may all lie in one half,
	// and a search of two halves then reads at most twice the budget.
	var c2 *collection
	var err2 error
	done := make(chan struct{})
	go func() {
		defer close(done)
		c2, err2 = t.collectRange(ctx, sctx, r, s2, 1, mid, uint32(t.size), o)
	}()
	c1, err := t.collectRange(ctx, sctx, r, s, 0, 0, mid, o)
	<-done
	if err != nil {
		return nil, err
	}
	if err2 != nil {
		return nil, err2
	}
	return t.merge(c1, c2, o), nil
}

// merge joins the collections of two ranges, the first one's documents
// numbered below the second one's.
func (t *docTable) merge(a, b *collection, o collectOptions) *collection {
	c := &collection{total: a.total + b.total, counts: a.counts, partial: a.partial || b.partial}
	for i, counts := range b.counts {
		for ord, n := range counts {
			c.counts[i][ord] += n
		}
	}
	c.first = append(a.first, b.first...)
	if len(c.first) > o.first {
		c.first = c.first[:o.first]
	}
	hits := make([]hitRef, 0, len(a.hits)+len(b.hits))
	for i, j := 0, 0; len(hits) < o.keep && (i < len(a.hits) || j < len(b.hits)); {
		if j >= len(b.hits) || (i < len(a.hits) && t.better(a.hits[i], b.hits[j], o.byDate)) {
			hits = append(hits, a.hits[i])
			i++
		} else {
			hits = append(hits, b.hits[j])
			j++
		}
	}
	c.hits = hits
	return c
}

// collectRange collects the matches of s, the tree-th searcher collect
// built, numbered from from up to to.
func (t *docTable) collectRange(ctx, sctx context.Context, r index.IndexReader, s bsearch.Searcher, tree int, from, to uint32, o collectOptions) (*collection, error) {
	c := &collection{counts: make([][]int, len(t.facets))}
	for i, on := range o.facets {
		if on && i < len(t.facets) {
			c.counts[i] = make([]int, len(t.facets[i].values))
		}
	}
	bctx := &bsearch.SearchContext{
		DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       r,
	}
	var rk *reranker
	if o.rerank != nil && o.keep > 0 {
		rk = newReranker(sctx, r, t, o.rerank, tree)
		defer rk.close()
	}
	heap := make([]hitRef, 0, min(o.keep, 1024))
	var pending []hitRef
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var dm *bsearch.DocumentMatch
		var err error
		if n == 0 && from > 0 {
			dm, err = s.Advance(bctx, scorchx.InternalID(from))
		} else {
			dm, err = s.Next(bctx)
		}
		if err != nil {
			return nil, err
		}
		if dm == nil {
			break
		}
		doc, ok := scorchx.DocNum(dm.IndexInternalID)
		if !ok || int(doc) >= t.size {
			return nil, fmt.Errorf("document %x is not in the generation's table", []byte(dm.IndexInternalID))
		}
		if doc >= to {
			bctx.DocumentMatchPool.Put(dm)
			break
		}
		// After the range check: a range that ends with its budget spent
		// is whole.
		if o.budget > 0 && n >= o.budget {
			bctx.DocumentMatchPool.Put(dm)
			c.partial = true
			break
		}
		if o.noEchoes && t.echo[doc] {
			bctx.DocumentMatchPool.Put(dm)
			continue
		}
		// failed is the facet whose filter alone the document fails, -1
		// for none, -2 for more than one.
		failed := -1
		for i, set := range o.filters {
			fails := set != nil && !t.facets[i].has(doc, set)
			if i == facetDate && o.dateRange != nil {
				d := t.date[doc]
				fails = fails || d < o.dateRange[0] || d > o.dateRange[1]
			}
			if fails {
				if failed != -1 {
					failed = -2
					break
				}
				failed = i
			}
		}
		if failed == -2 {
			bctx.DocumentMatchPool.Put(dm)
			continue
		}
		for i, counts := range c.counts {
			if counts != nil && (failed == -1 || failed == i) {
				for _, ord := range t.facets[i].of(doc) {
					counts[ord]++
				}
			}
		}
		if failed != -1 {
			bctx.DocumentMatchPool.Put(dm)
			continue
		}
		c.total++
		if len(c.first) < o.first {
			c.first = append(c.first, doc)
		}
		switch {
		case o.keep == 0:
		case rk == nil:
			heap = t.push(heap, hitRef{doc, dm.Score}, o.keep, o.byDate)
		case !rk.lazy():
			heap = t.push(heap, hitRef{doc, rk.final(doc, dm.Score, false)}, o.keep, o.byDate)
		default:
			// Phrases are checked in a second pass: the scores without
			// them bound from below what the page will need.
			pending = append(pending, hitRef{doc, dm.Score})
			heap = t.push(heap, hitRef{doc, rk.final(doc, dm.Score, false)}, o.keep, o.byDate)
		}
		bctx.DocumentMatchPool.Put(dm)
	}
	if len(pending) > 0 {
		// A copy: the heap is refilled below.
		var floor *hitRef
		if len(heap) == o.keep {
			f := heap[0]
			floor = &f
		}
		heap = heap[:0]
		for _, h := range pending {
			// A document whose score with every phrase bonus still ranks
			// below the page's floor cannot reach the page.
			if floor != nil && t.better(*floor, hitRef{h.doc, rk.upper(h.doc, h.score)}, o.byDate) {
				continue
			}
			score, err := rk.score(h.doc, h.score)
			if err != nil {
				return nil, err
			}
			heap = t.push(heap, hitRef{h.doc, score}, o.keep, o.byDate)
		}
	}
	// Popping the worst first fills the list from its end.
	c.hits = make([]hitRef, len(heap))
	for i := len(heap) - 1; i >= 0; i-- {
		c.hits[i] = heap[0]
		heap = t.pop(heap, o.byDate)
	}
	return c, nil
}

// The kept hits are a heap with the worst at the root, so a new hit is
// compared with the root only.

func (t *docTable) push(h []hitRef, x hitRef, keep int, byDate bool) []hitRef {
	if len(h) < keep {
		h = append(h, x)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !t.better(h[p], h[i], byDate) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		return h
	}
	if !t.better(x, h[0], byDate) {
		return h
	}
	h[0] = x
	t.down(h, byDate)
	return h
}

func (t *docTable) pop(h []hitRef, byDate bool) []hitRef {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	t.down(h, byDate)
	return h
}

func (t *docTable) down(h []hitRef, byDate bool) {
	for i := 0; ; {
		worst := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) && t.better(h[worst], h[c], byDate) {
				worst = c
			}
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// loadHits reads the stored fields of hits from r.
func loadHits(r index.IndexReader, hits []hitRef, fields []string) ([]*bsearch.DocumentMatch, error) {
	req := &bleve.SearchRequest{Fields: fields}
	out := make([]*bsearch.DocumentMatch, 0, len(hits))
	for _, h := range hits {
		iid := scorchx.InternalID(h.doc)
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, fmt.Errorf("load hit: %w", err)
		}
		dm := &bsearch.DocumentMatch{ID: id, IndexInternalID: iid, Score: h.score}
		if err, _ := bleve.LoadAndHighlightFields(dm, req, "", r, nil); err != nil {
			return nil, fmt.Errorf("load hit %s: %w", id, err)
		}
		out = append(out, dm)
	}
	return out, nil
}
