package search

import (
	"context"
	"fmt"
	"math"
	"sync"

	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/internal/scorchx"
)

// bleve's BM25 divides a field's length by ceil(terms in the field's
// dictionary / documents), and the dictionary size it reads is summed over
// the index's segments: it depends on how the build happened to batch and
// merge, so two builds of the same pages scored differently. The term
// searchers here get the average number of distinct terms per document
// instead (Σ document frequencies / documents), the same for every build.

// fieldStats caches the per-field totals of one generation, which is
// read-only: summing a field's dictionary takes up to ~100 ms on the
// corpus, too slow for every query. Each generation has its own
// (generation.stats), and a search finds it in its context (withStats):
// bleve's searcher interface passes nothing else down to the term
// searchers.
type fieldStats struct {
	mu     sync.Mutex
	totals map[string]int
	// dfs caches document frequencies by field and term: a query reads
	// each of its terms' several times (planning the relaxation, idf,
	// building the searcher), and opening a term's postings for its count
	// is most of the cost of building a query's searchers.
	dfs map[[2]string]uint64
}

func newFieldStats() *fieldStats { return &fieldStats{totals: map[string]int{}} }

// maxCachedDFs bounds the document frequencies cached per generation.
const maxCachedDFs = 1 << 16

type statsKey struct{}

// withStats returns ctx carrying st, the statistics of the generation a
// search reads.
func withStats(ctx context.Context, st *fieldStats) context.Context {
	return context.WithValue(ctx, statsKey{}, st)
}

// statsOf returns the generation's statistics from ctx, or fresh ones
// (nothing cached) when a caller did not set them.
func statsOf(ctx context.Context) *fieldStats {
	if st, ok := ctx.Value(statsKey{}).(*fieldStats); ok {
		return st
	}
	return newFieldStats()
}

// docFreq is the number of documents of r whose field has term.
func docFreq(ctx context.Context, r index.IndexReader, field, term string) (uint64, error) {
	st := statsOf(ctx)
	key := [2]string{field, term}
	st.mu.Lock()
	n, ok := st.dfs[key]
	st.mu.Unlock()
	if ok {
		return n, nil
	}
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	n = tfr.Count()
	_ = tfr.Close()
	st.mu.Lock()
	if st.dfs == nil || len(st.dfs) >= maxCachedDFs {
		st.dfs = map[[2]string]uint64{}
	}
	st.dfs[key] = n
	st.mu.Unlock()
	return n, nil
}

// withFieldStats returns ctx carrying BM25 statistics for field.
func withFieldStats(ctx context.Context, r index.IndexReader, docs uint64, field string) (context.Context, error) {
	st := statsOf(ctx)
	st.mu.Lock()
	total, ok := st.totals[field]
	if !ok {
		fd, err := r.FieldDict(field)
		if err != nil {
			st.mu.Unlock()
			return nil, fmt.Errorf("field %s statistics: %w", field, err)
		}
		for {
			e, err := fd.Next()
			if err != nil {
				_ = fd.Close()
				st.mu.Unlock()
				return nil, fmt.Errorf("field %s statistics: %w", field, err)
			}
			if e == nil {
				break
			}
			total += int(e.Count)
		}
		_ = fd.Close()
		st.totals[field] = total
	}
	st.mu.Unlock()
	return scorchx.WithBM25Stats(ctx, docs, field, total), nil
}

// roundScore keeps nine significant digits. bleve adds up some clauses in
// an order that depends on how the index is segmented, so two documents
// that score the same can differ in the last bits, and differently in
// another build; rounded, they tie and sort by id (collect.go).
func roundScore(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	// d = ⌈log10 |x|⌉, from the binary exponent and exact powers of ten:
	// every hit is rounded, and Log10 and Pow took a twentieth of a search.
	ax := math.Abs(x)
	_, e2 := math.Frexp(ax)
	d := int(math.Ceil(float64(e2) * math.Log10E / math.Log2E))
	for math.Pow10(d-1) >= ax {
		d--
	}
	for math.Pow10(d) < ax {
		d++
	}
	e := math.Pow10(9 - d)
	return math.Round(x*e) / e
}
