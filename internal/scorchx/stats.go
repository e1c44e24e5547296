package scorchx

import (
	"context"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// WithBM25Stats returns ctx carrying the BM25 statistics bleve's term
// searchers read instead of their own: the number of documents and the
// field's cardinality (the divisor of a field's length).
func WithBM25Stats(ctx context.Context, docs uint64, field string, cardinality int) context.Context {
	return context.WithValue(ctx, bsearch.BM25StatsKey, &bsearch.BM25Stats{
		DocCount:         float64(docs),
		FieldCardinality: map[string]int{field: cardinality},
	})
}

// WithScoringModel returns ctx carrying the scoring model ("bm25" or
// bleve's default tf-idf) as bleve's index sets it up for a search's
// searchers, for searchers run outside bleve's own Search.
func WithScoringModel(ctx context.Context, model string) context.Context {
	return context.WithValue(ctx, bsearch.GetScoringModelCallbackKey,
		bsearch.GetScoringModelCallbackFn(func() string { return model }))
}
