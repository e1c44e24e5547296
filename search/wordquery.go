package search

import (
	"context"
	"math"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// wordQuery matches one query word with its alternatives (synonyms,
// sub-words) in one word field. Every alternative is scored with the idf of
// the word as typed (the most common of the word and its synonyms), so a
// rare synonym cannot outrank the typed word: a synonym match scores its
// weight (below 1) times what the same match of the typed word would.
type wordQuery struct {
	field    string
	boost    float64
	variants []variant
}

// bm25IDF is bleve's BM25 idf.
func bm25IDF(docs, df uint64) float64 {
	return math.Log(1 + (float64(docs)-float64(df)+0.5)/(float64(df)+0.5))
}

func (q *wordQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	docs, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	if ctx, err = withFieldStats(ctx, r, docs, q.field); err != nil {
		return nil, err
	}
	df := func(term string) (uint64, error) { return docFreq(ctx, r, q.field, term) }
	dfs := make([]uint64, len(q.variants))
	var refDF uint64
	for i, v := range q.variants {
		if v.parts != nil {
			continue
		}
		if dfs[i], err = df(v.text); err != nil {
			return nil, err
		}
		if !v.subword && dfs[i] > refDF {
			refDF = dfs[i]
		}
	}
	// term scores boost × min(idf, cap) × tf-norm: bleve scores a term
	// boost × idf² × tf-norm (the idf enters both the query weight and the
	// document score), so the boost passed on is divided by idf².
	term := func(text string, n uint64, boost, idfCap float64) (bsearch.Searcher, error) {
		idf := bm25IDF(docs, n)
		return searcher.NewTermSearcher(ctx, r, text, q.field, boost*math.Min(idf, idfCap)/(idf*idf), opts)
	}
	ref := math.Inf(1)
	if refDF > 0 {
		ref = bm25IDF(docs, refDF)
	}
	var children []bsearch.Searcher
	fail := func(err error) (bsearch.Searcher, error) {
		closeAll(children)
		return nil, err
	}
	for i, v := range q.variants {
		if v.parts != nil {
			s, err := q.partsSearcher(ctx, r, v, df, term, ref, opts)
			if err != nil {
				return fail(err)
			}
			if s != nil {
				children = append(children, s)
			}
			continue
		}
		if dfs[i] == 0 {
			continue
		}
		// The typed word and its synonyms score with the idf of the most
		// common of them (ref is at most their own); sub-words with their
		// own, at most that.
		s, err := term(v.text, dfs[i], q.boost*v.weight, ref)
		if err != nil {
			return fail(err)
		}
		children = append(children, label(s, opts, termLabel{word: q.variants[0].text, term: v.text, kind: variantKind(v, i), field: q.field}))
	}
	if len(children) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	return newUnionSearcher(children, 0, opts), nil
}

// partsSearcher matches a document containing every part of v (each part
// or one of its synonyms); the parts share v's weight and score with their
// own idf, at most the typed word's. nil when some part occurs nowhere.
func (q *wordQuery) partsSearcher(ctx context.Context, r index.IndexReader, v variant,
	df func(string) (uint64, error),
	term func(string, uint64, float64, float64) (bsearch.Searcher, error),
	idfCap float64, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	var parts []bsearch.Searcher
	for _, alts := range v.parts {
		var ss []bsearch.Searcher
		for k, text := range alts {
			n, err := df(text)
			if err != nil {
				closeAll(ss)
				closeAll(parts)
				return nil, err
			}
			if n == 0 {
				continue
			}
			w := q.boost * v.weight / float64(len(v.parts))
			if k > 0 {
				w *= weightSynonym
			}
			s, err := term(text, n, w, idfCap)
			if err != nil {
				closeAll(ss)
				closeAll(parts)
				return nil, err
			}
			ss = append(ss, label(s, opts, termLabel{word: q.variants[0].text, term: text, kind: "split", field: q.field}))
		}
		if len(ss) == 0 {
			closeAll(parts)
			return nil, nil
		}
		parts = append(parts, newUnionSearcher(ss, 0, opts))
	}
	return searcher.NewConjunctionSearcher(ctx, r, parts, opts)
}
