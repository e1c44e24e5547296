package search

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/indexer"
	"healthsearch/internal/scorchx"
)

// Explain (Request.Explain, `explain=1`, `healthsearch query --explain`)
// says why each hit is where it is: which ranking the query got, and for
// each hit which query word matched in which field through which variant
// and what that match scored. Ranking cannot be tuned without it.
//
// The matches come from the search's own query, run again in bleve's
// explain mode for the hits on the page only: every term searcher the
// query builds is labelled (labelled below) with its field, term, kind and
// the query word it stands for, and the labelled leaves of each hit's
// explanation tree are listed. So what is shown is what was scored, not a
// re-derivation of it.

// Explanation is how a search ranked its results.
type Explanation struct {
	// Ranking names the ranking the query got: "words" (every word
	// required), "words, filled" (a short list of those, then documents
	// with some of the words), "words, relaxed" (no document has them
	// all: documents with some), "question" (a question in
	// the asker's words: summed character bigrams, question.go) or "date"
	// (no words: newest first).
	Ranking string `json:"ranking"`
	// Words are the query's words as analysed, with their variants.
	Words []ExplainWord `json:"words"`
}

// ExplainWord is one analysed query word.
type ExplainWord struct {
	Word     string   `json:"word"`
	Required bool     `json:"required"`
	Synonyms []string `json:"synonyms,omitempty"`
	Subwords []string `json:"subwords,omitempty"`
	// Fragment is set for a run of single characters matched by its
	// character bigrams.
	Fragment bool `json:"fragment,omitempty"`
}

// HitExplanation is why one hit scored what it did.
type HitExplanation struct {
	// Matches are the scored matches, best first.
	Matches []ExplainMatch `json:"matches"`
	// Text is the score of the text query; Score - Text is what the
	// collector added (article bonus, phrase in order, title cover).
	Text float64 `json:"text"`
}

// ExplainMatch is one term of the query found in one field of a hit.
type ExplainMatch struct {
	// Word is the query word (or question text) the term stands for.
	Word string `json:"word"`
	// Term is what matched: the word, a synonym, a sub-word or a bigram.
	Term string `json:"term"`
	// Kind is typed, synonym, subword, split, bigram or correction.
	Kind  string `json:"kind"`
	Field string `json:"field"`
	// Score is the term's own BM25 score (boost × weight × idf × tf-norm,
	// scaled by the query norm). Where a word's variants compete only the
	// best counts, and a relaxed search scales by coordination, so the
	// scores of a hit can add up to more than its text score.
	Score float64 `json:"score"`
}

// termLabel names a term searcher in explain mode.
type termLabel struct {
	word, term, kind, field string
}

// labelled is a term searcher whose explanations carry its label.
type labelled struct {
	bsearch.Searcher
	label termLabel
}

const labelMark = "healthsearch-term\x00"

func (s *labelled) set(dm *bsearch.DocumentMatch, err error) (*bsearch.DocumentMatch, error) {
	if dm != nil {
		l := s.label
		dm.Expl = &bsearch.Explanation{Value: dm.Score,
			Message:  labelMark + strings.Join([]string{l.word, l.term, l.kind, l.field}, "\x00"),
			Children: []*bsearch.Explanation{dm.Expl}}
	}
	return dm, err
}

func (s *labelled) Next(ctx *bsearch.SearchContext) (*bsearch.DocumentMatch, error) {
	return s.set(s.Searcher.Next(ctx))
}

func (s *labelled) Advance(ctx *bsearch.SearchContext, id index.IndexInternalID) (*bsearch.DocumentMatch, error) {
	return s.set(s.Searcher.Advance(ctx, id))
}

// label wraps s when the search explains.
func label(s bsearch.Searcher, opts bsearch.SearcherOptions, l termLabel) bsearch.Searcher {
	if !opts.Explain {
		return s
	}
	return &labelled{Searcher: s, label: l}
}

// variantKind names how a variant relates to its query word.
func variantKind(v variant, i int) string {
	switch {
	case v.parts != nil:
		return "split"
	case v.subword:
		return "subword"
	case i == 0:
		return "typed"
	}
	return "synonym"
}

// explainPlan describes the analysed query.
func explainPlan(plan *queryPlan, ranking string) *Explanation {
	ex := &Explanation{Ranking: ranking, Words: []ExplainWord{}}
	for _, g := range plan.groups {
		w := ExplainWord{Required: !g.optional}
		if g.fragment != "" {
			w.Word, w.Fragment = g.fragment, true
		}
		for i, v := range g.variants {
			switch variantKind(v, i) {
			case "typed":
				if w.Word == "" {
					w.Word = v.text
				}
			case "synonym":
				w.Synonyms = append(w.Synonyms, v.text)
			case "subword":
				w.Subwords = append(w.Subwords, v.text)
			}
		}
		ex.Words = append(ex.Words, w)
	}
	return ex
}

// explainHits runs q again in explain mode for the given hits (document
// numbers in page order) and returns each one's labelled matches.
func explainHits(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, q query.Query, hits []hitRef) ([]*HitExplanation, error) {
	out := make([]*HitExplanation, len(hits))
	order := make([]int, len(hits))
	for i := range order {
		order[i] = i
	}
	// A searcher only moves forward: visit the hits in document order.
	sort.Slice(order, func(a, b int) bool { return hits[order[a]].doc < hits[order[b]].doc })
	s, err := q.Searcher(searchContext(ctx, m), r, m, bsearch.SearcherOptions{Explain: true})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	sctx := &bsearch.SearchContext{
		DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       r,
	}
	for _, i := range order {
		doc := hits[i].doc
		dm, err := s.Advance(sctx, scorchx.InternalID(doc))
		if err != nil {
			return nil, fmt.Errorf("explain: %w", err)
		}
		he := &HitExplanation{Matches: []ExplainMatch{}}
		if n, ok := scorchx.DocNum(dm.IndexInternalID); dm != nil && ok && n == doc {
			he.Text = roundScore(dm.Score)
			collectLabels(dm.Expl, he)
			sort.SliceStable(he.Matches, func(a, b int) bool { return he.Matches[a].Score > he.Matches[b].Score })
		}
		out[i] = he
	}
	return out, nil
}

func collectLabels(e *bsearch.Explanation, he *HitExplanation) {
	if e == nil {
		return
	}
	if rest, ok := strings.CutPrefix(e.Message, labelMark); ok {
		f := strings.Split(rest, "\x00")
		if len(f) == 4 && e.Value > 0 {
			he.Matches = append(he.Matches, ExplainMatch{Word: f[0], Term: f[1], Kind: f[2], Field: fieldName(f[3]), Score: roundScore(e.Value)})
		}
		return
	}
	for _, c := range e.Children {
		collectLabels(c, he)
	}
}

// fieldName is the field as the API names it: the bigram fields are the
// title, body and snippet matched by character pairs.
func fieldName(f string) string {
	switch f {
	case indexer.FieldTitleNgram:
		return indexer.FieldTitle
	case indexer.FieldBodyNgram:
		return indexer.FieldBody
	case indexer.FieldSnipNgram:
		return indexer.FieldSnippet
	}
	return f
}
