package search

import (
	"math"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"healthsearch/indexer"
)

// Ranking weights. Title matches say most about what a document is about;
// a synonym counts a little less than the word typed; a sub-word of a query
// word (医保 inside 医保卡) less again; bigram matches only rescue recall.
const (
	boostTitle    = 3.0
	boostBody     = 1.0
	boostSnippet  = 1.2
	boostSynonym  = 0.8
	boostSubword  = 0.3
	boostBigram   = 0.4
	boostPhrase   = 2.0
	boostArticle  = 0.6
	filterBoost   = 1e-4
	maxQueryTerms = 16
)

// variant is one way a query part can appear in a document.
type variant struct {
	text  string
	boost float64
	// fragment variants are matched by their character bigrams only: they
	// are runs of single characters that gse could not make a word of.
	fragment bool
}

// termGroup is one part of the query: a word with its synonyms and
// sub-words, or a fragment; a matching document contains one variant.
type termGroup struct {
	variants []variant
}

// queryPlan is the analysed query.
type queryPlan struct {
	groups []termGroup
	// phrase is the query with stop words, for the phrase boost.
	phrase string
	// needles are the strings to highlight.
	needles []string
}

func (p *queryPlan) empty() bool { return len(p.groups) == 0 }

// planQuery analyses q with the index's analyzer and turns it into groups.
func planQuery(q string, an analysis.Analyzer, vocab *Vocabulary) *queryPlan {
	plan := &queryPlan{phrase: q}
	if q == "" {
		return plan
	}
	toks := an.Analyze([]byte(q))
	type word struct {
		term       string
		start, end int
		subwords   []string
		stop       bool
	}
	var words []word
	lastPos := -1
	for _, t := range toks {
		// Sub-words share their parent's position and follow it.
		if len(words) > 0 && t.Position == lastPos {
			words[len(words)-1].subwords = append(words[len(words)-1].subwords, string(t.Term))
			continue
		}
		lastPos = t.Position
		term := string(t.Term)
		words = append(words, word{term: term, start: t.Start, end: t.End, stop: vocab.IsStop(term)})
	}
	allStop := true
	for _, w := range words {
		if !w.stop {
			allStop = false
		}
	}
	seen := map[string]bool{}
	addNeedle := func(s string) {
		if s != "" && !seen["n:"+s] {
			seen["n:"+s] = true
			plan.needles = append(plan.needles, s)
		}
	}
	for i := 0; i < len(words) && len(plan.groups) < maxQueryTerms; i++ {
		w := words[i]
		if w.stop && !allStop {
			continue
		}
		// A run of adjacent single Han characters is a fragment: gse found
		// no word in it, and the text may segment it differently.
		if isSingleHan(w.term) {
			j := i
			for j+1 < len(words) && isSingleHan(words[j+1].term) && words[j+1].start == words[j].end && (!words[j+1].stop || allStop) {
				j++
			}
			if j > i {
				frag := indexer.FoldText(q[w.start:words[j].end])
				if !seen[frag] {
					seen[frag] = true
					plan.groups = append(plan.groups, termGroup{variants: []variant{{text: frag, boost: 1, fragment: true}}})
					addNeedle(frag)
				}
				i = j
				continue
			}
		}
		if seen[w.term] {
			continue
		}
		seen[w.term] = true
		g := termGroup{variants: []variant{{text: w.term, boost: 1}}}
		addNeedle(w.term)
		for _, s := range vocab.Synonyms(w.term) {
			g.variants = append(g.variants, variant{text: s, boost: boostSynonym})
			addNeedle(s)
		}
		for _, s := range w.subwords {
			if utf8.RuneCountInString(s) >= 2 && !vocab.IsStop(s) {
				g.variants = append(g.variants, variant{text: s, boost: boostSubword})
				for _, syn := range vocab.Synonyms(s) {
					g.variants = append(g.variants, variant{text: syn, boost: boostSubword * boostSynonym})
				}
			}
		}
		plan.groups = append(plan.groups, g)
	}
	return plan
}

func isSingleHan(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size == len(s) && r >= 0x3400 && r <= 0x9FFF
}

// groupQuery matches any variant of g in any text field.
func groupQuery(g termGroup) query.Query {
	var qs []query.Query
	for _, v := range g.variants {
		if v.fragment {
			for _, f := range []struct {
				field string
				boost float64
			}{{indexer.FieldTitleNgram, boostTitle}, {indexer.FieldBodyNgram, boostBody}, {indexer.FieldSnipNgram, boostSnippet}} {
				m := query.NewMatchQuery(v.text)
				m.SetField(f.field)
				m.Analyzer = indexer.BigramAnalyzerName
				m.SetOperator(query.MatchQueryOperatorAnd)
				m.SetBoost(f.boost * v.boost)
				qs = append(qs, m)
			}
			continue
		}
		for _, f := range []struct {
			field string
			boost float64
		}{{indexer.FieldTitle, boostTitle}, {indexer.FieldBody, boostBody}, {indexer.FieldSnippet, boostSnippet}} {
			t := query.NewTermQuery(v.text)
			t.SetField(f.field)
			t.SetBoost(f.boost * v.boost)
			qs = append(qs, t)
		}
	}
	// The typed word also matches by bigrams in the title, for text that gse
	// segments differently around it.
	if main := g.variants[0]; !main.fragment && utf8.RuneCountInString(main.text) >= 2 {
		m := query.NewMatchQuery(main.text)
		m.SetField(indexer.FieldTitleNgram)
		m.Analyzer = indexer.BigramAnalyzerName
		m.SetOperator(query.MatchQueryOperatorAnd)
		m.SetBoost(boostBigram)
		qs = append(qs, m)
	}
	return query.NewDisjunctionQuery(qs)
}

// textQuery combines the groups: each must match when minShould equals the
// number of groups; fewer for the relaxed fallback. Phrase and article
// boosts only add to the score.
func textQuery(plan *queryPlan, minShould int) query.Query {
	gs := make([]query.Query, len(plan.groups))
	for i, g := range plan.groups {
		gs[i] = groupQuery(g)
	}
	var core query.Query
	if minShould >= len(gs) {
		core = query.NewConjunctionQuery(gs)
	} else {
		d := query.NewDisjunctionQuery(gs)
		d.SetMin(float64(minShould))
		core = d
	}
	should := []query.Query{}
	if len(plan.groups) > 1 {
		for _, f := range []string{indexer.FieldTitle, indexer.FieldBody} {
			p := query.NewMatchPhraseQuery(plan.phrase)
			p.SetField(f)
			p.Analyzer = indexer.AnalyzerName
			p.SetBoost(boostPhrase)
			should = append(should, p)
		}
	}
	art := query.NewTermQuery(indexer.TypeArticle)
	art.SetField(indexer.FieldType)
	art.SetBoost(boostArticle)
	should = append(should, art)
	b := query.NewBooleanQuery([]query.Query{core}, should, nil)
	return b
}

// relaxations lists the minimum numbers of groups to try in turn: all of
// them first, then half, then any one.
func relaxations(n int) []int {
	if n <= 1 {
		return []int{n}
	}
	steps := []int{n}
	if half := int(math.Ceil(float64(n) / 2)); half < n && half > 1 {
		steps = append(steps, half)
	}
	return append(steps, 1)
}
