package search

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/search/query"

	"healthsearch/analysis"
)

// A question in the asker's own words (癫痫要留意什么, or a pasted
// description of a hundred characters) is ranked differently from a query
// of a few words. Its words are the asker's, not the page's: 留意 for 注意,
// 节食 for 减肥, 怎么得的 for 怎样导致的, a story around the question.
// Requiring its words, and relaxing when too few pages have them all, cut
// the right page whenever gse segmented the question and the title
// differently or one word was the asker's own. Measured on the ask sets
// (eval/results.md): the word ranking found the page in the top 10 for
// 70% (questions) and 59% (descriptions), a plain sum of character-bigram
// BM25 over title and body 80% and 76%, with the same known-item and typo
// figures for the short queries that stay on the word ranking.
//
// So a question is ranked by the idf-weighted BM25 of the character
// bigrams it shares with each document's title (×boostTitle), body and
// snippet, summed without a coordination factor (a page that shares the
// question's two rare bigrams beats one that shares ten common ones), plus
// the same for the synonyms of its words, weighed down. A document must
// share at least one bigram that is not common (commonCutoff): a page that
// shares only 什么 and 怎么 is not an answer. Related items that repeat an
// article's title collapse into the article (docTable.echo), which the
// article bonus already ranks first.

// isQuestion reports whether plan is a question ranked by questionQuery.
func isQuestion(plan *queryPlan) bool {
	if len(plan.required()) < 2 {
		return false
	}
	n := 0
	for _, r := range plan.text {
		if analysis.IsHan(r) {
			n++
		}
	}
	return n >= questionRunes
}

// questionQuery builds the ranking of a question (see above); cutoff is the
// document frequency above which a bigram is common.
func questionQuery(plan *queryPlan, cutoff uint64) (query.Query, *rerank) {
	rr := &rerank{article: &articleBoost{bonus: bonusArticle, factor: scaleArticle}}
	// A synonym weighs what the word the asker typed weighs: its bigrams
	// at weightQuestionSynonym, scaled down when it has more bigrams than
	// that word (乙型病毒性肝炎 has six to 乙肝's one, and summed they
	// pulled its pages above every other page about a 乙肝 question).
	weights := map[string]float64{}
	for _, g := range plan.groups {
		typed := g.fragment
		for i, v := range g.variants {
			switch variantKind(v, i) {
			case "typed":
				if typed == "" {
					typed = v.text
				}
			case "synonym":
				w := weightQuestionSynonym * min(1, float64(bigramCount(typed))/float64(bigramCount(v.text)))
				weights[v.text] = max(weights[v.text], w)
			}
		}
	}
	// One clause per weight, its synonyms joined by spaces, which keep
	// their bigrams apart: the bigram analyzer pairs only adjacent
	// ideographs.
	byWeight := map[float64][]string{}
	for syn, w := range weights {
		byWeight[w] = append(byWeight[w], syn)
	}
	type synClause struct {
		text   string
		weight float64
	}
	var synClauses []synClause
	for w, syns := range byWeight {
		slices.Sort(syns)
		synClauses = append(synClauses, synClause{strings.Join(syns, " "), w})
	}
	slices.SortFunc(synClauses, func(a, b synClause) int { return cmp.Compare(b.weight, a.weight) })
	var score, rare []query.Query
	for _, f := range bigramFields {
		score = append(score, &bigramQuery{text: plan.text, field: f.field, boost: f.boost, sum: true})
		rare = append(rare, &bigramQuery{text: plan.text, field: f.field, boost: 1, maxDF: cutoff})
		for _, c := range synClauses {
			score = append(score, &bigramQuery{text: c.text, field: f.field, boost: f.boost * c.weight, sum: true})
			rare = append(rare, &bigramQuery{text: c.text, field: f.field, boost: 1, maxDF: cutoff})
		}
	}
	core := query.NewConjunctionQuery([]query.Query{
		newUnion(1, score...),
		// Unscored: only documents with a bigram that is not common.
		&constQuery{clause: newUnion(1, rare...), score: 0},
	})
	return &query.BooleanQuery{Must: core, Should: newUnion(1, rr.article)}, rr
}

// bigramCount is the number of character bigrams of a word, at least 1.
func bigramCount(w string) int { return max(1, utf8.RuneCountInString(w)-1) }

// titleKey is a title as echoes are matched: folded, without spaces and
// the question marks and stops at its ends.
func titleKey(title string) string {
	return strings.Trim(strings.Join(strings.Fields(analysis.FoldText(title)), ""), "?？!！。.,，~～ ")
}
