package search

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/indexer"
)

const (
	filterBoost   = 1e-4
	maxQueryTerms = 16
	// maxPlannedTerms bounds the analysis of a pasted description; Search
	// keeps the maxQueryTerms rarest required words of it (keepRarest).
	maxPlannedTerms = 64
)

// variant is one way a query word can appear in a document.
type variant struct {
	text    string
	weight  float64
	subword bool
	// parts, when set, split a compound into dictionary words (异地就医 →
	// 异地 + 就医), each with its synonyms: the variant matches a document
	// that contains every part, in any order.
	parts [][]string
}

// termGroup is one part of the query: a word with its synonyms and
// sub-words, or a fragment; a matching document contains one variant.
type termGroup struct {
	variants []variant
	// fragment is set for runs of single characters that gse could not make
	// a word of; they match by their character bigrams, since the text may
	// segment them differently (性和阳 in 阴性和阳性).
	fragment string
	// optional groups add to the score but are not required.
	optional bool
}

// queryPlan is the analysed query.
type queryPlan struct {
	groups []termGroup
	// text is the folded query: the phrase and title-cover clauses use it
	// with stop words, which say which of two similar titles was meant.
	text string
	// words is the number of word tokens in the query, stop words included.
	words int
	// needles are the strings to highlight.
	needles []string
}

func (p *queryPlan) empty() bool { return len(p.groups) == 0 }

// required returns the groups a document must match.
func (p *queryPlan) required() []termGroup {
	var out []termGroup
	for _, g := range p.groups {
		if !g.optional {
			out = append(out, g)
		}
	}
	return out
}

// planQuery analyses q with the index's analyzer and turns it into groups.
func planQuery(q string, an bleveanalysis.Analyzer, vocab *Vocabulary) *queryPlan {
	q = collapseAnotA(foldRepeats(q))
	plan := &queryPlan{text: analysis.FoldText(q)}
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
	plan.words = len(words)
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
	addWord := func(w word, optional bool) {
		if seen[w.term] {
			return
		}
		seen[w.term] = true
		g := termGroup{variants: []variant{{text: w.term, weight: 1}}, optional: optional}
		addNeedle(w.term)
		for _, s := range vocab.Synonyms(w.term) {
			g.variants = append(g.variants, variant{text: s, weight: weightSynonym})
			addNeedle(s)
		}
		if split := splitWord(w.term, w.subwords); len(split) > 1 {
			v := variant{text: w.term, weight: weightSplit}
			for _, p := range split {
				v.parts = append(v.parts, append([]string{p}, vocab.Synonyms(p)...))
			}
			g.variants = append(g.variants, v)
		}
		for _, s := range w.subwords {
			if utf8.RuneCountInString(s) >= 2 && !vocab.IsStop(s) && !seen["s:"+w.term+s] {
				seen["s:"+w.term+s] = true
				g.variants = append(g.variants, variant{text: s, weight: weightSubword, subword: true})
				for _, syn := range vocab.Synonyms(s) {
					g.variants = append(g.variants, variant{text: syn, weight: weightSubword * weightSynonym, subword: true})
				}
			}
		}
		plan.groups = append(plan.groups, g)
	}
	for i := 0; i < len(words) && len(plan.groups) < maxPlannedTerms; i++ {
		w := words[i]
		if allStop {
			addWord(w, false)
			continue
		}
		if !isSingleHan(w.term) {
			if !w.stop {
				addWord(w, false)
			}
			continue
		}
		// A run of adjacent single Han characters: gse found no word in
		// it. Stop characters at its edges are dropped (在, 吗); inside they
		// stay, since the run may be a word the text segments differently
		// (性和阳). Two or more characters left form a fragment; one is an
		// optional word.
		j := i
		for j+1 < len(words) && isSingleHan(words[j+1].term) && words[j+1].start == words[j].end {
			j++
		}
		from, to := i, j
		for from <= to && words[from].stop {
			from++
		}
		for to >= from && words[to].stop {
			to--
		}
		switch {
		case from > to:
		case from == to:
			addWord(words[from], true)
		default:
			frag := analysis.FoldText(q[words[from].start:words[to].end])
			if !seen[frag] {
				seen[frag] = true
				g := termGroup{fragment: frag}
				addNeedle(frag)
				// A fragment can be a synonym-set word that gse does
				// not know (胃疼): its set's words match as words.
				// Weighed down: a bigram match scores lower than a word
				// match of the same idf (the bigram fields are longer), and
				// the text typed must still rank first.
				for _, syn := range vocab.Synonyms(frag) {
					g.variants = append(g.variants, variant{text: syn, weight: weightSynonym * weightFragmentSynonym})
					addNeedle(syn)
				}
				plan.groups = append(plan.groups, g)
			}
		}
		i = j
	}
	// A query of single characters only (药, 胖) needs them.
	if len(plan.required()) == 0 {
		for i := range plan.groups {
			plan.groups[i].optional = false
		}
	}
	return plan
}

// keepRarest drops required groups beyond maxQueryTerms, the most common
// first (and first of all those found nowhere), so a long description keeps
// the words that say what it is about wherever they stand: a pasted story
// puts its question last. df is the document frequency of each required
// group, in the order of required(); it returns the kept groups' dfs.
func (p *queryPlan) keepRarest(df []uint64) []uint64 {
	if len(df) <= maxQueryTerms {
		return df
	}
	order := make([]int, len(df))
	for i := range order {
		order[i] = i
	}
	rank := func(i int) uint64 {
		if df[i] == 0 {
			return math.MaxUint64
		}
		return df[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return rank(order[a]) < rank(order[b]) })
	keep := make([]bool, len(df))
	for _, i := range order[:maxQueryTerms] {
		keep[i] = true
	}
	var groups []termGroup
	var kept []uint64
	r := 0
	for _, g := range p.groups {
		if g.optional {
			groups = append(groups, g)
			continue
		}
		if keep[r] {
			groups = append(groups, g)
			kept = append(kept, df[r])
		}
		r++
	}
	p.groups = groups
	return kept
}

// foldRepeats removes repetition that adds no meaning but costs work: a
// character typed three times or more in a row (的的的…, 哈哈哈) counts once,
// a run of two to four characters repeated (医保医保医保) once, and a word
// given again after a space (病 病 病) once. A doubled character stays
// (妈妈, 常常, 谢谢). Without it, 的 × 20 planned one word but checked a
// phrase of twenty for every document holding 的: thirty times the work of
// 的 alone for the same results.
func foldRepeats(q string) string {
	fields := strings.Fields(q)
	seen := make(map[string]bool, len(fields))
	out := fields[:0]
	for _, f := range fields {
		f = foldRuns(f)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	folded := strings.Join(out, " ")
	if folded == strings.Join(strings.Fields(q), " ") {
		return q // nothing folded: keep the spacing as typed
	}
	return folded
}

// foldRuns folds the repeated runs inside one space-free field, of Han
// characters only: 2000, 二〇〇〇, 111, www and ＷＷＷ mean what they say.
func foldRuns(f string) string {
	rs := []rune(f)
	if len(rs) < 3 {
		return f
	}
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		folded := false
		for p := 1; p <= 4 && i+2*p <= len(rs); p++ {
			reps := 1
			if slices.ContainsFunc(rs[i:i+p], func(r rune) bool { return !analysis.IsHan(r) }) {
				continue
			}
			for i+(reps+1)*p <= len(rs) && slices.Equal(rs[i:i+p], rs[i+reps*p:i+(reps+1)*p]) {
				reps++
			}
			if (p == 1 && reps >= 3) || (p > 1 && reps >= 2) {
				out = append(out, rs[i:i+p]...)
				i += reps * p
				folded = true
				break
			}
		}
		if !folded {
			out = append(out, rs[i])
			i++
		}
	}
	return string(out)
}

// collapseAnotA turns the A-not-A questions of spoken Chinese into their
// verb or adjective: 要不要 → 要, 会不会 → 会, 需不需要 → 需要, 严不严重 →
// 严重, 有没有 → 有. Segmented as they stand they leave 不要, 不会 or 不用
// as required words (乙肝要不要治疗 wanted texts saying 不要), or glue the
// content word into an unknown one (严不严重); collapsed, the verb is a
// stop word or the content word it was. A is one or two Han characters
// repeated around 不 or 没 (the second copy may continue: 需不需要).
func collapseAnotA(q string) string {
	rs := []rune(q)
	han := analysis.IsHan
	var out []rune
	changed := false
	for i := 0; i < len(rs); i++ {
		matched := false
		for _, n := range []int{2, 1} {
			// rs[i:i+n] + 不/没 + rs[i:i+n]
			if i+2*n+1 > len(rs) || (rs[i+n] != '不' && rs[i+n] != '没') {
				continue
			}
			ok := true
			for k := 0; k < n; k++ {
				if !han(rs[i+k]) || rs[i+k] == '不' || rs[i+k] == '没' || rs[i+k] != rs[i+n+1+k] {
					ok = false
					break
				}
			}
			if ok {
				// Keep the second copy, which may continue the word (需要).
				i += n
				matched, changed = true, true
				break
			}
		}
		if !matched {
			out = append(out, rs[i])
		}
	}
	if !changed {
		return q
	}
	return string(out)
}

// splitWord tiles word with the fewest of its sub-words (医保余额 → 医保 +
// 余额); nil when they do not cover it (医保卡 → 医保 + 卡).
func splitWord(word string, subwords []string) []string {
	if len(subwords) == 0 {
		return nil
	}
	// best[i] is the shortest tiling of word[:i] (byte offsets).
	best := make([][]string, len(word)+1)
	best[0] = []string{}
	for i := 0; i < len(word); i++ {
		if best[i] == nil {
			continue
		}
		for _, s := range subwords {
			if len(s) < len(word) && strings.HasPrefix(word[i:], s) {
				if j := i + len(s); best[j] == nil || len(best[i])+1 < len(best[j]) {
					best[j] = append(append([]string{}, best[i]...), s)
				}
			}
		}
	}
	return best[len(word)]
}

func isSingleHan(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return size == len(s) && analysis.IsHan(r)
}

type fieldBoost struct {
	field string
	boost float64
}

var (
	wordFields   = []fieldBoost{{indexer.FieldTitle, boostTitle}, {indexer.FieldBody, boostBody}, {indexer.FieldSnippet, boostSnippet}}
	bigramFields = []fieldBoost{{indexer.FieldTitleNgram, boostTitle}, {indexer.FieldBodyNgram, boostBody}, {indexer.FieldSnipNgram, boostSnippet}}
)

// groupQuery matches any variant of g in any text field; the fields' scores
// add up, the variants' do not (the best one counts).
func groupQuery(g termGroup, boost float64) query.Query {
	var qs []query.Query
	if g.fragment != "" {
		// A fragment of three characters or more may span a word boundary
		// the user did not type (胃疼吃 in 胃疼吃什么药: 疼吃 is in no
		// text), so it matches any of its bigrams, scored by the share
		// found; two characters are one bigram and must be there.
		all := utf8.RuneCountInString(g.fragment) <= 2
		for _, f := range bigramFields {
			qs = append(qs, &bigramQuery{text: g.fragment, field: f.field, boost: boost * f.boost, all: all})
		}
		if len(g.variants) > 0 {
			for _, f := range wordFields {
				qs = append(qs, &wordQuery{field: f.field, boost: boost * f.boost, variants: g.variants})
			}
		}
		return newUnion(1, qs...)
	}
	for _, f := range wordFields {
		qs = append(qs, &wordQuery{field: f.field, boost: boost * f.boost, variants: g.variants})
	}
	// The typed word also matches by bigrams in the title, for text that gse
	// segments differently around it.
	if main := g.variants[0].text; utf8.RuneCountInString(main) >= 2 {
		qs = append(qs, &bigramQuery{text: main, field: indexer.FieldTitleNgram, boost: boost * boostBigram, all: true})
	}
	return newUnion(1, qs...)
}

// textQuery combines the groups: each required one must match when
// minShould equals their number; fewer for the relaxed fallback, and then
// one of the groups marked rare too (see commonCutoff). Optional groups,
// phrase, title cover and article bonus only add to the score; the phrase
// and article bonuses are applied by the collector (rerank).
func textQuery(plan *queryPlan, minShould int, rare []bool) (query.Query, *rerank) {
	rr := &rerank{article: &articleBoost{bonus: bonusArticle, factor: scaleArticle}}
	req := plan.required()
	gs := make([]query.Query, len(req))
	for i, g := range req {
		gs[i] = groupQuery(g, 1)
	}
	var core query.Query
	var should []query.Query
	switch {
	case minShould >= len(gs) && len(gs) == 1:
		core = gs[0]
	case minShould >= len(gs):
		core = query.NewConjunctionQuery(gs)
	default:
		// bleve's coordination factor is wanted here: a document matching
		// more of the words ranks higher.
		d := query.NewDisjunctionQuery(gs)
		d.SetMin(float64(minShould))
		core = d
		var rareQs []query.Query
		for i, g := range req {
			if rare[i] {
				rareQs = append(rareQs, groupQuery(g, 1))
			}
		}
		if len(rareQs) < len(gs) {
			// Unscored, and the rarer clause of the conjunction: it leads,
			// so only documents with a rare word are visited.
			core = query.NewConjunctionQuery([]query.Query{d, &constQuery{clause: query.NewDisjunctionQuery(rareQs), score: 0}})
		}
		// Documents matching every word stay above the others. They are
		// the strict search's few matches; the collector knows them.
		rr.allWords = &docsBonus{bonus: bonusAllWords}
		if len(gs) >= gradedFrom {
			rr.allWords.bonus = bonusAllWordsGraded
		}
		should = append(should, rr.allWords)
		// A relaxed search ranks by how much of the question's wording a
		// document shares, not only its words: the character bigrams of
		// the whole query in title and body, each weighted by its idf
		// (what a bigram engine does well on long questions whose words
		// segment differently from the page's).
		should = append(should, &bigramQuery{text: plan.text, field: indexer.FieldTitleNgram, boost: boostRelaxedTitleBigrams})
		if len(gs) >= longQueryWords {
			// The body's bigram postings are long: worth reading only for
			// the long questions, where they bring the most.
			should = append(should, &bigramQuery{text: plan.text, field: indexer.FieldBodyNgram, boost: boostRelaxedBodyBigrams})
		}
	}
	for _, g := range plan.groups {
		if g.optional {
			should = append(should, groupQuery(g, boostOptional))
		}
	}
	if plan.words > 1 {
		for _, f := range []fieldBoost{{indexer.FieldTitle, bonusPhraseTitle}, {indexer.FieldBody, bonusPhraseBody}} {
			p := &phraseBonus{text: plan.text, field: f.field, bonus: f.boost}
			rr.phrases = append(rr.phrases, p)
			should = append(should, p)
		}
	}
	if utf8.RuneCountInString(plan.text) > 2 {
		rr.cover = &lazyClause{inner: &bigramQuery{text: plan.text, field: indexer.FieldTitleNgram, boost: boostTitleCover}}
		should = append(should, rr.cover)
	}
	should = append(should, rr.article)
	// Built by hand: NewBooleanQuery wraps the required part in a
	// conjunction and the optional part in a disjunction, one more level of
	// searchers for every matching document.
	return &query.BooleanQuery{Must: core, Should: newUnion(1, should...)}, rr
}

// relaxations lists the minimum numbers of required groups to try in turn:
// all of them first, then half, then any one.
func relaxations(n int) []int {
	if n <= 1 {
		return []int{n}
	}
	steps := []int{n}
	// A long question (five words or more) holds context words that no
	// page says; asking for half of them drops the page that says the
	// two that matter. It relaxes to any rare word at once and lets
	// coordination and the bigram overlap rank.
	if half := int(math.Ceil(float64(n) / 2)); half < n && half > 1 && n < longQueryWords {
		steps = append(steps, half)
	}
	return append(steps, 1)
}

// commonCutoff is the document frequency above which a word is common: in
// more than a twentieth of the documents, and more than a thousand. A
// relaxed search lists only documents with at least one word that is not
// common (like Lucene's common terms query): a common word alone says
// little about what the question is about (治疗 in 百日咳治疗), and a fill
// that took every text about 治疗 read a third of the corpus to rank it.
func commonCutoff(docs uint64) uint64 {
	return max(1000, docs/20)
}

// rareGroups marks the groups whose document frequency is at most cutoff
// (found nowhere does not count); if there is none, the rarest one found.
func rareGroups(df []uint64, cutoff uint64) []bool {
	rare := make([]bool, len(df))
	rarest, found := -1, false
	for i, n := range df {
		if n > 0 && n <= cutoff {
			rare[i], found = true, true
		}
		if n > 0 && (rarest < 0 || n < df[rarest]) {
			rarest = i
		}
	}
	if !found && rarest >= 0 {
		rare[rarest] = true
	}
	return rare
}

// groupDF estimates how many documents g matches: the document frequency
// (summed over the word fields) of its most frequent variant, or for a
// fragment that of its rarest bigram.
func groupDF(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, g termGroup) (uint64, error) {
	df := func(term string, fields []fieldBoost) (uint64, error) {
		var n uint64
		for _, f := range fields {
			c, err := docFreq(ctx, r, f.field, term)
			if err != nil {
				return 0, err
			}
			n += c
		}
		return n, nil
	}
	if g.fragment != "" {
		an := m.AnalyzerNamed(analysis.BigramAnalyzerName)
		if an == nil {
			return 0, nil
		}
		// Two characters: one bigram. Longer: any bigram matches (see
		// groupQuery), so the most frequent one bounds it from below.
		var most uint64
		for _, t := range an.Analyze([]byte(g.fragment)) {
			n, err := df(string(t.Term), bigramFields)
			if err != nil {
				return 0, err
			}
			most = max(most, n)
		}
		for _, v := range g.variants {
			n, err := df(v.text, wordFields)
			if err != nil {
				return 0, err
			}
			most = max(most, n)
		}
		return most, nil
	}
	// The group matches a document with any variant: at least as many as
	// its most frequent one, sub-words included.
	var most uint64
	for _, v := range g.variants {
		if v.parts != nil {
			continue // matches where all its parts do, fewer than any part
		}
		n, err := df(v.text, wordFields)
		if err != nil {
			return 0, err
		}
		most = max(most, n)
	}
	return most, nil
}

// bigramQuery matches the character bigrams of text in a bigram field:
// all of them (a fragment), or any, scored by the share found (title
// cover). Each bigram scores boost × idf × tf-norm, like a word.
type bigramQuery struct {
	text  string
	field string
	boost float64
	all   bool
	// sum scores a document by the plain sum of its bigrams' scores: no
	// coordination and no share (the long-question ranking, question.go).
	sum bool
	// maxDF, when set, keeps only the bigrams found in at most that many
	// documents of the field (the rare-bigram filter of a long question).
	maxDF uint64
	// maxScore bounds a document's score before the query norm, set by
	// Searcher.
	maxScore float64
}

// word is what the query stands for in an explanation: the fragment or
// word it matches, or "question" for a question's whole text.
func (q *bigramQuery) word() string {
	if utf8.RuneCountInString(q.text) > 12 {
		return "question"
	}
	return q.text
}

func (q *bigramQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, opts bsearch.SearcherOptions) (bsearch.Searcher, error) {
	an := m.AnalyzerNamed(analysis.BigramAnalyzerName)
	if an == nil {
		return searcher.NewMatchNoneSearcher(r)
	}
	var terms []string
	seen := map[string]bool{}
	for _, t := range an.Analyze([]byte(q.text)) {
		if s := string(t.Term); !seen[s] {
			seen[s] = true
			terms = append(terms, s)
		}
	}
	if len(terms) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	docs, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	if ctx, err = withFieldStats(ctx, r, docs, q.field); err != nil {
		return nil, err
	}
	dfs := make([]uint64, len(terms))
	present := 0
	for i, term := range terms {
		if dfs[i], err = docFreq(ctx, r, q.field, term); err != nil {
			return nil, err
		}
		if q.maxDF > 0 && dfs[i] > q.maxDF {
			dfs[i] = 0 // common: not a filter's term
		}
		if dfs[i] > 0 {
			present++
		}
	}
	if present == 0 || (q.all && present < len(terms)) {
		return searcher.NewMatchNoneSearcher(r)
	}
	boost := q.boost
	switch {
	case q.sum:
	case q.all:
		// A fragment counts as one word however many bigrams it has.
		boost /= float64(len(terms))
	default:
		// The disjunction multiplies by matched / present bigrams; this
		// makes it matched / all, so bigrams no title has count too.
		boost *= float64(present) / float64(len(terms))
	}
	ss := make([]bsearch.Searcher, 0, present)
	for i, term := range terms {
		if dfs[i] == 0 {
			continue
		}
		idf := bm25IDF(docs, dfs[i])
		// A BM25 term score is queryWeight × idf × tf·k1 / (tf + k1·(…)),
		// below boost × norm × idf × k1 with queryWeight = boost/idf ×
		// idf × norm: what the collector needs to skip the clause.
		q.maxScore += boost * idf * bsearch.BM25_k1
		s, err := searcher.NewTermSearcher(ctx, r, term, q.field, boost/idf, opts)
		if err != nil {
			closeAll(ss)
			return nil, err
		}
		ss = append(ss, label(s, opts, termLabel{word: q.word(), term: term, kind: "bigram", field: q.field}))
	}
	switch {
	case q.all:
		return searcher.NewConjunctionSearcher(ctx, r, ss, opts)
	case q.sum:
		return newUnionSearcher(ss, 1, opts), nil
	}
	return searcher.NewDisjunctionSearcher(ctx, r, ss, 0, opts)
}
