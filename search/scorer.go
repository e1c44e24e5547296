package search

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
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
	low := uint64(exhausted)
	for _, n := range s.nums {
		low = min(low, n)
	}
	if low == exhausted {
		return nil, nil
	}
	s.matching = s.matching[:0]
	for i, n := range s.nums {
		if n == low {
			s.matching = append(s.matching, i)
		}
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
