package search

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/internal/scorchx"
)

// Some optional clauses of a text query are constant bonuses that bleve
// would evaluate for every matching document: being an article, and the
// query's words found in order (a phrase) in the title or body. As bleve
// searchers they cost a fifth of a search each: the article clause walked
// the type field's postings, the phrase searcher decoded the positions of
// every document containing all the words, whether or not it could reach
// the page. The collector applies them instead: the type from the doc
// table, the phrases only for documents whose score with every bonus could
// still enter the page.
//
// Each bonus stays a clause of the query for bleve's query norm, which
// scales every clause's score: the clause matches nothing, weighs what a
// constant clause of its bonus would and records the norm it is given.

// rerank holds a text query's bonuses applied by the collector.
type rerank struct {
	article *articleBoost
	phrases []*phraseBonus
	// allWords, in a relaxed search, is the bonus of the documents that
	// match every word.
	allWords *docsBonus
	// cover is the title cover clause, scored by the collector.
	cover *lazyClause
}

// lazyClause is an optional clause the collector scores only for documents
// that could reach the page (the title cover: every bigram of the query in
// every matching title, a sixth of a search as a clause of the tree). Each
// searcher built from it is kept, in build order (collect builds one or
// two), and stands in the tree as a probe that weighs what it weighs and
// hands it the query norm, so its scores are what they were in the tree.
type lazyClause struct {
	inner  *bigramQuery
	builds []*lazyBuild
}

// lazyBuild is one searcher of a lazy clause and where it is.
type lazyBuild struct {
	s    bsearch.Searcher
	norm float64
	max  float64 // bound of a document's score, before the norm
	cur  *bsearch.DocumentMatch
	doc  uint32
	done bool // no more matches (or none at all)
}

func (q *lazyClause) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	q.inner.maxScore = 0
	s, err := q.inner.Searcher(ctx, r, m, opts)
	if err != nil {
		return nil, err
	}
	b := &lazyBuild{s: s, norm: 1, max: q.inner.maxScore}
	if _, none := s.(*searcher.MatchNoneSearcher); none {
		b.done = true
	}
	q.builds = append(q.builds, b)
	none, err := searcher.NewMatchNoneSearcher(r)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return &lazyProbe{MatchNoneSearcher: none, b: b}, nil
}

// lazyProbe stands for a lazy clause's searcher in the tree.
type lazyProbe struct {
	*searcher.MatchNoneSearcher
	b *lazyBuild
}

func (p *lazyProbe) Weight() float64 { return p.b.s.Weight() }

func (p *lazyProbe) SetQueryNorm(n float64) {
	p.b.norm = n
	p.b.s.SetQueryNorm(n)
}

func (p *lazyProbe) Close() error {
	return errors.Join(p.b.s.Close(), p.MatchNoneSearcher.Close())
}

// bound is the most the clause adds to a document's score.
func (b *lazyBuild) bound() float64 {
	if b.done {
		return 0
	}
	return b.max * b.norm * (1 + 1e-9)
}

// score returns the clause's score of doc. Documents must come in
// increasing order.
func (b *lazyBuild) score(ctx *bsearch.SearchContext, doc uint32) (float64, error) {
	if b.cur == nil || b.doc < doc {
		if b.done {
			return 0, nil
		}
		if b.cur != nil {
			ctx.DocumentMatchPool.Put(b.cur)
		}
		dm, err := b.s.Advance(ctx, scorchx.InternalID(doc))
		if err != nil {
			return 0, err
		}
		if dm == nil {
			b.cur, b.done = nil, true
			return 0, nil
		}
		n, ok := scorchx.DocNum(dm.IndexInternalID)
		if !ok {
			return 0, fmt.Errorf("unexpected internal document id %x", []byte(dm.IndexInternalID))
		}
		b.cur, b.doc = dm, n
	}
	if b.doc == doc {
		return b.cur.Score, nil
	}
	return 0, nil
}

// docsBonus adds bonus to the documents of a set: in a relaxed search, to
// those of the strict search before it, which are few (else there would be
// no relaxing) and known. As a clause it repeated the whole strict query.
type docsBonus struct {
	bonus float64
	norm  float64
	docs  map[uint32]bool
}

func (q *docsBonus) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	q.norm = 1
	return newNormProbe(r, q.bonus, &q.norm)
}

// add returns score with the bonus of doc, if any.
func (q *docsBonus) add(doc uint32, score float64) float64 {
	if q != nil && q.docs[doc] {
		score += q.bonus * q.norm
	}
	return score
}

// articleBoost ranks articles above the related items that match as well
// (bonusArticle, scaleArticle): an article's score is (score + bonus) ×
// factor.
type articleBoost struct {
	bonus, factor float64
	norm          float64
}

func (q *articleBoost) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	q.norm = 1
	return newNormProbe(r, q.bonus, &q.norm)
}

// phraseBonus adds bonus when the analysed text occurs in field as a
// phrase: its tokens at consecutive positions, any token of a position
// (a word or one of its sub-words) standing for it, like bleve's match
// phrase query.
type phraseBonus struct {
	text, field string
	bonus       float64
	norm        float64
	// slots are the tokens of each position of the phrase.
	slots [][]string
}

func (q *phraseBonus) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	q.norm = 1
	q.slots = nil
	if an := m.AnalyzerNamed(analysis.AnalyzerName); an != nil {
		toks := an.Analyze([]byte(q.text))
		if len(toks) > 0 {
			first, last := toks[0].Position, toks[0].Position
			for _, t := range toks {
				first, last = min(first, t.Position), max(last, t.Position)
			}
			q.slots = make([][]string, last-first+1)
			for _, t := range toks {
				q.slots[t.Position-first] = append(q.slots[t.Position-first], string(t.Term))
			}
		}
	}
	return newNormProbe(r, q.bonus, &q.norm)
}

// normProbe is the query-norm stand-in of a bonus applied by the collector.
type normProbe struct {
	*searcher.MatchNoneSearcher
	weight float64
	norm   *float64
}

func newNormProbe(r index.IndexReader, bonus float64, norm *float64) (bsearch.Searcher, error) {
	none, err := searcher.NewMatchNoneSearcher(r)
	if err != nil {
		return nil, err
	}
	return &normProbe{MatchNoneSearcher: none, weight: bonus * bonus, norm: norm}, nil
}

func (s *normProbe) Weight() float64        { return s.weight }
func (s *normProbe) SetQueryNorm(n float64) { *s.norm = n }

// reranker applies a rerank during one collection.
type reranker struct {
	rr       *rerank
	t        *docTable
	phrases  []*phraseCheck
	cover    *lazyBuild
	bctx     *bsearch.SearchContext
	maxBonus float64 // all phrase bonuses and the cover's bound, scaled
}

// newReranker applies rr in the collection over the tree-th searcher built
// from the query.
func newReranker(ctx context.Context, r index.IndexReader, t *docTable, rr *rerank, tree int) *reranker {
	x := &reranker{rr: rr, t: t}
	for _, p := range rr.phrases {
		x.phrases = append(x.phrases, newPhraseCheck(ctx, r, p))
		x.maxBonus += p.bonus * p.norm
	}
	if rr.cover != nil && tree < len(rr.cover.builds) {
		x.cover = rr.cover.builds[tree]
		x.maxBonus += x.cover.bound()
		x.bctx = &bsearch.SearchContext{
			DocumentMatchPool: bsearch.NewDocumentMatchPool(x.cover.s.DocumentMatchPoolSize()+1, 0),
			IndexReader:       r,
		}
	}
	return x
}

// lazy reports whether the reranker has bonuses to check per document.
func (x *reranker) lazy() bool { return len(x.phrases) > 0 || x.cover != nil }

// final returns the final score of doc, whose clauses scored score, with
// every phrase bonus when phrases is set.
func (x *reranker) final(doc uint32, score float64, phrases bool) float64 {
	if phrases {
		score += x.maxBonus
	}
	return x.rr.article.apply(x.rr.allWords.add(doc, score), x.t.article[doc])
}

// upper bounds the final score of doc, whose clauses scored score.
func (x *reranker) upper(doc uint32, score float64) float64 {
	return x.final(doc, score, true) * (1 + 1e-9)
}

// score returns the final score of doc, whose clauses scored score, with
// the bonuses of the phrases it contains. Documents must come in
// increasing order.
func (x *reranker) score(doc uint32, score float64) (float64, error) {
	if x.cover != nil {
		c, err := x.cover.score(x.bctx, doc)
		if err != nil {
			return 0, err
		}
		score += c
	}
	for _, p := range x.phrases {
		ok, err := p.at(doc)
		if err != nil {
			return 0, err
		}
		if ok {
			score += p.q.bonus * p.q.norm
		}
	}
	return x.final(doc, score, false), nil
}

func (x *reranker) close() {
	for _, p := range x.phrases {
		p.close()
	}
}

// apply returns the final score of a document scoring score.
func (q *articleBoost) apply(score float64, article bool) float64 {
	if article {
		score = (score + q.bonus*q.norm) * q.factor
	}
	return roundScore(score)
}

// phraseCheck tests documents, in increasing order, for a phrase. Most
// documents it is asked about lack one of the phrase's words (in a relaxed
// search, most match only some of the query's words), which the postings
// bitmaps tell cheaply; positions are read only when every word is there.
type phraseCheck struct {
	q     *phraseBonus
	ctx   context.Context
	r     index.IndexReader
	slots [][]*termCursor
	err   error
	pos   [][]uint64
}

func newPhraseCheck(ctx context.Context, r index.IndexReader, q *phraseBonus) *phraseCheck {
	return &phraseCheck{q: q, ctx: ctx, r: r}
}

// termCursor walks one term's postings: has without positions, vec
// (opened on first use) with them.
type termCursor struct {
	term, field string
	has, vec    cursor
}

// cursor is a term field reader and the posting it is on.
type cursor struct {
	tfr  index.TermFieldReader
	cur  *index.TermFieldDoc
	doc  uint32
	done bool
	id   index.IndexInternalID
}

// at returns the posting of doc, or nil if the term is not in doc.
func (c *cursor) at(doc uint32) (*index.TermFieldDoc, error) {
	if c.done {
		return nil, nil
	}
	if c.cur == nil || c.doc < doc {
		if c.id == nil {
			c.id = make(index.IndexInternalID, 8)
		}
		scorchx.PutDocNum(c.id, doc)
		next, err := c.tfr.Advance(c.id, c.cur)
		if err != nil {
			return nil, err
		}
		if next == nil {
			c.done = true
			return nil, nil
		}
		n, _ := scorchx.DocNum(next.ID)
		c.cur, c.doc = next, n
	}
	if c.doc == doc {
		return c.cur, nil
	}
	return nil, nil
}

func (p *phraseCheck) open() error {
	if p.slots != nil || len(p.q.slots) == 0 {
		return nil
	}
	p.slots = make([][]*termCursor, len(p.q.slots))
	p.pos = make([][]uint64, len(p.q.slots))
	for i, terms := range p.q.slots {
		for _, term := range terms {
			tfr, err := p.r.TermFieldReader(p.ctx, []byte(term), p.q.field, false, false, false)
			if err != nil {
				return err
			}
			p.slots[i] = append(p.slots[i], &termCursor{term: term, field: p.q.field, has: cursor{tfr: tfr}})
		}
	}
	return nil
}

// at reports whether doc contains the phrase.
func (p *phraseCheck) at(doc uint32) (bool, error) {
	if p.err != nil {
		return false, p.err
	}
	if p.err = p.open(); p.err != nil || len(p.slots) == 0 {
		return false, p.err
	}
	for _, cursors := range p.slots {
		found := len(cursors) == 0 // a gap in the phrase matches any token
		for _, c := range cursors {
			tfd, err := c.has.at(doc)
			if err != nil {
				p.err = err
				return false, err
			}
			if tfd != nil {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	for i, cursors := range p.slots {
		p.pos[i] = p.pos[i][:0]
		for _, c := range cursors {
			if c.vec.tfr == nil {
				tfr, err := p.r.TermFieldReader(p.ctx, []byte(c.term), c.field, true, false, true)
				if err != nil {
					p.err = err
					return false, err
				}
				c.vec.tfr = tfr
			}
			tfd, err := c.vec.at(doc)
			if err != nil {
				p.err = err
				return false, err
			}
			if tfd != nil {
				for _, v := range tfd.Vectors {
					p.pos[i] = append(p.pos[i], v.Pos)
				}
			}
		}
	}
	for _, start := range p.pos[0] {
		ok := true
		for i := 1; i < len(p.pos) && ok; i++ {
			if len(p.slots[i]) > 0 && !slices.Contains(p.pos[i], start+uint64(i)) {
				ok = false
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func (p *phraseCheck) close() {
	for _, cursors := range p.slots {
		for _, c := range cursors {
			_ = c.has.tfr.Close()
			if c.vec.tfr != nil {
				_ = c.vec.tfr.Close()
			}
		}
	}
}
