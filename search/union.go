package search

import (
	"context"
	"fmt"
	"math"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/internal/scorchx"
)

// bleve's disjunction multiplies the sum of its matching clauses by a
// coordination factor (matching / all clauses). For the alternatives of one
// query word that is wrong: a word with five synonyms would count a fifth of
// a word with none. The queries here combine clauses without that factor.

// unionQuery matches a document when any clause matches and scores it
// max + tie × (sum − max): tie 0 takes the best clause (for alternative
// spellings of one word), tie 1 adds them up (for the fields of a document).
type unionQuery struct {
	clauses []query.Query
	tie     float64
}

func newUnion(tie float64, clauses ...query.Query) *unionQuery {
	return &unionQuery{clauses: clauses, tie: tie}
}

func (q *unionQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	children := make([]bsearch.Searcher, 0, len(q.clauses))
	for _, c := range q.clauses {
		s, err := c.Searcher(ctx, r, m, opts)
		if err != nil {
			closeAll(children)
			return nil, err
		}
		children = append(children, s)
	}
	return newUnionSearcher(children, q.tie, opts), nil
}

// constQuery gives every document its clause matches the same score, so
// a bonus (being an article) does not depend on how common it is.
type constQuery struct {
	clause query.Query
	score  float64
}

func (q *constQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	if q.score == 0 && !opts.Explain {
		// A pure filter: its clause need not score or locate terms, and
		// bleve then reads its postings as bitmaps (a question's rare
		// bigrams: a sixth of a question's time went to scoring them).
		opts.Score, opts.IncludeTermVectors = "none", false
		// bleve's bitmap disjunction makes a term searcher of field "*",
		// for which BM25 has no statistics: the model it scores nothing
		// with is tf-idf, which needs none.
		ctx = scorchx.WithScoringModel(ctx, index.DefaultScoringModel)
	}
	s, err := q.clause.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	return &constSearcher{Searcher: s, score: q.score, norm: 1, explain: opts.Explain}, nil
}

func closeAll(ss []bsearch.Searcher) {
	for _, s := range ss {
		_ = s.Close()
	}
}

// unionSearcher walks its children in document order like bleve's
// disjunction searcher, and scores without the coordination factor. It
// compares its children's positions as document numbers (docNum): scorch's
// internal ids are eight big-endian bytes, and comparing them as byte
// slices was a tenth of a search.
type unionSearcher struct {
	children    []bsearch.Searcher
	currs       []*bsearch.DocumentMatch
	nums        []uint64 // currs as document numbers, exhausted at the end
	matching    []int
	tie         float64
	explain     bool
	initialized bool
}

const exhausted = math.MaxUint64

func newUnionSearcher(children []bsearch.Searcher, tie float64, opts bsearch.SearcherOptions) *unionSearcher {
	s := &unionSearcher{
		children: children,
		currs:    make([]*bsearch.DocumentMatch, len(children)),
		nums:     make([]uint64, len(children)),
		matching: make([]int, 0, len(children)),
		tie:      tie,
		explain:  opts.Explain,
	}
	// Term scores apply their boosts only once a query norm is set. bleve's
	// composite searchers set one when built and their parents override it;
	// so does this one, for when it is the outermost searcher.
	if w := s.Weight(); w > 0 {
		s.SetQueryNorm(1 / math.Sqrt(w))
	}
	return s
}

// set records child i's next match.
func (s *unionSearcher) set(i int, dm *bsearch.DocumentMatch) error {
	s.currs[i] = dm
	if dm == nil {
		s.nums[i] = exhausted
		return nil
	}
	n, ok := scorchx.Num(dm.IndexInternalID)
	if !ok {
		return fmt.Errorf("unexpected internal document id %x", []byte(dm.IndexInternalID))
	}
	s.nums[i] = n
	return nil
}

func (s *unionSearcher) init(ctx *bsearch.SearchContext) error {
	for i, c := range s.children {
		dm, err := c.Next(ctx)
		if err != nil {
			return err
		}
		if err := s.set(i, dm); err != nil {
			return err
		}
	}
	s.initialized = true
	return nil
}

// Next returns the next document any child matches.
func (s *unionSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	if !s.initialized {
		if err := s.init(ctx); err != nil {
			return nil, err
		}
	}
	// One pass finds the lowest document and the children on it.
	low := uint64(exhausted)
	s.matching = s.matching[:0]
	for i, n := range s.nums {
		switch {
		case n < low:
			low = n
			s.matching = append(s.matching[:0], i)
		case n == low:
			s.matching = append(s.matching, i)
		}
	}
	if low == exhausted {
		return nil, nil
	}
	rv := s.currs[s.matching[0]]
	best, sum := math.Inf(-1), 0.0
	var expl []*bsearch.Explanation
	for _, i := range s.matching {
		dm := s.currs[i]
		sum += dm.Score
		best = math.Max(best, dm.Score)
		if s.explain {
			expl = append(expl, dm.Expl)
		}
		if dm != rv {
			rv.FieldTermLocations = bsearch.MergeFieldTermLocations(rv.FieldTermLocations, []*bsearch.DocumentMatch{dm})
		}
	}
	rv.Score = best + s.tie*(sum-best)
	if s.explain {
		rv.Expl = &bsearch.Explanation{Value: rv.Score, Message: fmt.Sprintf("max + %.2f × rest of:", s.tie), Children: expl}
	}
	for _, i := range s.matching {
		if s.currs[i] != rv {
			ctx.DocumentMatchPool.Put(s.currs[i])
		}
		dm, err := s.children[i].Next(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.set(i, dm); err != nil {
			return nil, err
		}
	}
	return rv, nil
}

// Advance moves to the first match at or after id.
func (s *unionSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	target, ok := scorchx.Num(id)
	if !ok {
		return nil, fmt.Errorf("unexpected internal document id %x", []byte(id))
	}
	for i, c := range s.children {
		if s.initialized {
			if s.nums[i] >= target {
				continue
			}
			ctx.DocumentMatchPool.Put(s.currs[i])
		}
		dm, err := c.Advance(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := s.set(i, dm); err != nil {
			return nil, err
		}
	}
	s.initialized = true
	return s.Next(ctx)
}

func (s *unionSearcher) Weight() float64 {
	var w float64
	for _, c := range s.children {
		w += c.Weight()
	}
	return w
}

func (s *unionSearcher) SetQueryNorm(n float64) {
	for _, c := range s.children {
		c.SetQueryNorm(n)
	}
}

func (s *unionSearcher) Count() uint64 {
	var n uint64
	for _, c := range s.children {
		n += c.Count()
	}
	return n
}

func (s *unionSearcher) Min() int { return 0 }

func (s *unionSearcher) Size() int {
	n := 64 + 16*len(s.children)
	for _, c := range s.children {
		n += c.Size()
	}
	return n
}

func (s *unionSearcher) DocumentMatchPoolSize() int {
	n := len(s.children)
	for _, c := range s.children {
		n += c.DocumentMatchPoolSize()
	}
	return n
}

func (s *unionSearcher) Close() error {
	var first error
	for _, c := range s.children {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// constSearcher replaces its searcher's scores with a constant, scaled by
// the query norm like every other clause.
type constSearcher struct {
	bsearch.Searcher
	score, norm float64
	explain     bool
}

func (s *constSearcher) Weight() float64        { return s.score * s.score }
func (s *constSearcher) SetQueryNorm(n float64) { s.norm = n }

func (s *constSearcher) set(dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	if dm != nil {
		dm.Score = s.score * s.norm
		if s.explain {
			dm.Expl = &bsearch.Explanation{Value: dm.Score, Message: "constant bonus"}
		}
	}
	return dm, err
}

func (s *constSearcher) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	return s.set(s.Searcher.Next(ctx))
}

func (s *constSearcher) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	return s.set(s.Searcher.Advance(ctx, id))
}
