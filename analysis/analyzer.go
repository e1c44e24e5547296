package analysis

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

const (
	// TokenizerName is the gse word tokenizer in bleve's registry.
	TokenizerName = "healthsearch_gse"
	// FoldFilterName folds full-width forms and traditional characters.
	FoldFilterName = "healthsearch_fold"
	// AnalyzerName is the word analyzer used for title, body and snippet.
	AnalyzerName = "healthsearch"
	// BigramAnalyzerName indexes overlapping character bigrams next to the
	// words, so a query that gse segments differently from the text (a
	// fragment like 性和阳, an unknown name) still matches.
	BigramAnalyzerName = "healthsearch_bigram"
)

func init() {
	must(registry.RegisterTokenizer(TokenizerName, tokenizerConstructor))
	must(registry.RegisterTokenFilter(FoldFilterName, foldFilterConstructor))
	must(registry.RegisterAnalyzer(AnalyzerName, analyzerConstructor))
	must(registry.RegisterAnalyzer(BigramAnalyzerName, bigramAnalyzerConstructor))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Tokenizer segments text into gse words with exact byte offsets into the
// original input. Han runs are segmented by gse's dictionary (DAG, no HMM:
// HMM invents words from unknown character runs differently in a short query
// than in a long text, which breaks matching); Latin letters and digits form
// words of their own. In search mode, dictionary sub-words of a long word are
// emitted at the parent's position (医保卡 → 医保卡, 医保), so a sub-word query
// finds the longer word and phrase queries over parents still line up.
type Tokenizer struct {
	dict     *Dict
	t2s      *t2sRunes
	subwords bool
}

// NewTokenizer returns a tokenizer on the process's dictionary
// (SharedDict).
func NewTokenizer(subwords bool) (*Tokenizer, error) {
	d, err := SharedDict()
	if err != nil {
		return nil, err
	}
	return &Tokenizer{dict: d, t2s: traditionalToSimplified(), subwords: subwords}, nil
}

func tokenizerConstructor(config map[string]interface{}, _ *registry.Cache) (analysis.Tokenizer, error) {
	subwords := true
	if v, ok := config["subwords"].(bool); ok {
		subwords = v
	}
	return NewTokenizer(subwords)
}

// tokenizeScratch is Tokenize's working memory, pooled: analysing a
// document calls Tokenize for each of its text fields.
type tokenizeScratch struct {
	folded []rune
	offs   []int
	han    hanScratch
}

var tokenizeScratchPool = sync.Pool{New: func() any { return new(tokenizeScratch) }}

// maxPooledRunes keeps the scratch of an enormous text out of the pool.
const maxPooledRunes = 64 << 10

// Tokenize implements analysis.Tokenizer.
func (t *Tokenizer) Tokenize(input []byte) analysis.TokenStream {
	sc := tokenizeScratchPool.Get().(*tokenizeScratch)
	defer func() {
		if cap(sc.folded) <= maxPooledRunes && cap(sc.han.utf8) <= 4*maxPooledRunes {
			tokenizeScratchPool.Put(sc)
		}
	}()
	// folded[i] is the i-th rune after folding; offs[i] its byte offset in
	// input, with offs[len(folded)] == len(input).
	folded, offs := sc.folded[:0], sc.offs[:0]
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && size <= 1 {
			r = ' '
		}
		folded = append(folded, foldRune(r, t.t2s))
		offs = append(offs, i)
		i += size
	}
	offs = append(offs, len(input))
	sc.folded, sc.offs = folded, offs

	stream := make(analysis.TokenStream, 0, len(folded)/2+1)
	// Tokens are allocated in blocks rather than one by one.
	var block []analysis.Token
	pos := 0
	emit := func(from, to int, typ analysis.TokenType, samePos bool) {
		if !samePos {
			pos++
		}
		if len(block) == 0 {
			block = make([]analysis.Token, max(16, (len(folded)-from)/2))
		}
		tok := &block[0]
		block = block[1:]
		*tok = analysis.Token{
			Term:     input[offs[from]:offs[to]],
			Start:    offs[from],
			End:      offs[to],
			Position: pos,
			Type:     typ,
		}
		stream = append(stream, tok)
	}

	for i := 0; i < len(folded); {
		r := folded[i]
		switch {
		case isHan(r):
			j := i + 1
			for j < len(folded) && isHan(folded[j]) {
				j++
			}
			t.segmentHan(folded, i, j, &sc.han, emit)
			i = j
		case isWordRune(r):
			j := i + 1
			digits := r >= '0' && r <= '9'
			for j < len(folded) && isWordRune(folded[j]) {
				digits = digits && folded[j] >= '0' && folded[j] <= '9'
				j++
			}
			typ := analysis.AlphaNumeric
			if digits {
				typ = analysis.Numeric
			}
			emit(i, j, typ, false)
			i = j
		default:
			i++
		}
	}
	return stream
}

// maxHanChunk bounds the characters of one Han run cut at once. gse's
// Cut, whose words cutHan reproduces, built maps keyed by position over
// the whole string, so one enormous run (a hostile page of 5 MB of
// 医保医保…) cost seconds and hundreds of megabytes per call. Real text has
// punctuation every few dozen characters, so only such input is ever cut;
// the chunks stay because where a run is cut decides its words.
const maxHanChunk = 1024

// hanScratch is the working memory of segmenting the Han runs of one
// Tokenize call.
type hanScratch struct {
	runes []rune    // the run
	utf8  []byte    // the run in UTF-8
	offs  []int     // offs[i] is the byte offset of the run's i-th rune in utf8
	lo    int       // the chunk of the run that edges describe starts at rune lo
	edges []dagEdge // dictionary words starting at each rune of the chunk, by start
	first []int     // edges[first[k]:first[k+1]] start at rune lo+k
	route []dagRoute
	sizes []int
}

// dagEdge is a candidate word of the chunk ending at rune end (inclusive,
// relative to the chunk), with its dictionary frequency as gse's Find
// reports it.
type dagEdge struct {
	end  int
	freq float64
	ok   bool
}

type dagRoute struct {
	logFreq float64
	end     int
}

// segmentHan cuts folded[from:to], a run of Han characters, into words.
func (t *Tokenizer) segmentHan(folded []rune, from, to int, sc *hanScratch, emit func(int, int, analysis.TokenType, bool)) {
	if to-from == 1 {
		emit(from, to, analysis.Ideographic, false)
		return
	}
	// Dictionary lookups take sub-slices of the run's UTF-8 rather than a
	// new string per candidate word.
	sc.runes = folded[from:to]
	sc.utf8, sc.offs = sc.utf8[:0], sc.offs[:0]
	sc.fill()
	for at := from; at < to; {
		end := min(to, at+maxHanChunk)
		sizes := t.cutHan(sc, at-from, end-from)
		if end < to && len(sizes) > 1 {
			// The chunk boundary may split the last word: cut it again
			// together with the characters that follow.
			sizes = sizes[:len(sizes)-1]
		}
		for _, size := range sizes {
			emit(at, at+size, analysis.Ideographic, false)
			if t.subwords && size > 2 {
				emitSubwords(sc, at-from, at-from+size, func(i, j int) { emit(from+i, from+j, analysis.Ideographic, true) })
			}
			at += size
		}
	}
}

// cutHan returns the lengths in runes of the words of runes lo to hi of the
// run in sc: the words gse's Cut(text, false) returns (cutDAGNoHMM), found
// the same way — every dictionary word starting at each rune, then the
// path of greatest summed log frequency from the end, ties to the longer
// word — with the same floating-point arithmetic, so the cut is identical
// (TestCutHanMatchesGse). gse does this with maps keyed by position, two
// dictionary lookups per candidate word and a string per lookup, which
// made its Cut a seventh of the build's CPU.
func (t *Tokenizer) cutHan(sc *hanScratch, lo, hi int) []int {
	n := hi - lo
	sc.lo = lo
	sc.edges, sc.first = sc.edges[:0], sc.first[:0]
	for k := 0; k < n; k++ {
		sc.first = append(sc.first, len(sc.edges))
		at := lo + k
		freq, ok := t.dict.char(sc.runes[at])
		found := false
		if ok {
			found = t.dict.words(sc, at, lo+n, func(end int, freq float64) {
				sc.edges = append(sc.edges, dagEdge{end: end - lo, freq: freq, ok: true})
			})
		}
		if !found {
			// The character alone, scored as gse scores it: by its own
			// frequency (0 when it only begins words: log 0 = -Inf), or as
			// frequency 1 when the dictionary does not know it.
			sc.edges = append(sc.edges, dagEdge{end: k, freq: freq, ok: ok})
		}
	}
	sc.first = append(sc.first, len(sc.edges))

	logT := math.Log(t.dict.total)
	sc.route = slices.Grow(sc.route[:0], n+1)[:n+1]
	sc.route[n] = dagRoute{} // every other entry is set below
	for idx := n - 1; idx >= 0; idx-- {
		for j, e := range sc.edges[sc.first[idx]:sc.first[idx+1]] {
			var f float64
			if e.ok {
				f = math.Log(e.freq) - logT + sc.route[e.end+1].logFreq
			} else {
				f = math.Log(1.0) - logT + sc.route[e.end+1].logFreq
			}
			if v := sc.route[idx]; j == 0 || v.logFreq < f || (v.logFreq == f && v.end < e.end) {
				sc.route[idx] = dagRoute{logFreq: f, end: e.end}
			}
		}
	}
	sc.sizes = sc.sizes[:0]
	for x := 0; x < n; {
		y := sc.route[x].end + 1
		sc.sizes = append(sc.sizes, y-x)
		x = y
	}
	return sc.sizes
}

// emitSubwords adds the dictionary words inside a longer word (医保卡 → 医保,
// 肠梨形鞭毛虫病 → 鞭毛虫病, 鞭毛虫 …) at the parent's position, like gse's
// search mode but not limited to two and three characters: shortest first,
// then from left to right. The word is runes [from, to) of the run and lies
// in the chunk cutHan cut last, whose edges list every dictionary word
// starting in the chunk, so no lookups are needed.
func emitSubwords(sc *hanScratch, from, to int, emit func(int, int)) {
	longest := min(to-from-1, maxSubwordRunes)
	for n := 2; n <= longest; n++ {
		for i := from; i+n <= to; i++ {
			k := i - sc.lo
			for _, e := range sc.edges[sc.first[k]:sc.first[k+1]] {
				if e.end > k+n-1 {
					break
				}
				if e.end == k+n-1 && e.freq > 0 {
					emit(i, i+n)
				}
			}
		}
	}
}

// fill lays out the run sc.runes in UTF-8, with each rune's offset in it,
// for the tokens' byte offsets.
func (sc *hanScratch) fill() {
	sc.utf8, sc.offs = sc.utf8[:0], sc.offs[:0]
	for _, r := range sc.runes {
		sc.offs = append(sc.offs, len(sc.utf8))
		sc.utf8 = utf8.AppendRune(sc.utf8, r)
	}
	sc.offs = append(sc.offs, len(sc.utf8))
}

// words calls add(end, freq) for each dictionary word of positive
// frequency that is runes [at, end] of the run in sc, for end < hi,
// shortest first, and reports whether there was one. The walk goes on
// from the node the last character reached, where gse's Find would start
// again at the root for every candidate.
func (d *Dict) words(sc *hanScratch, at, hi int, add func(end int, freq float64)) bool {
	found := false
	n := uint32(0)
	for i := at; i < hi && i-at < d.maxLen; i++ {
		if n = d.child(n, sc.runes[i]); n == 0 {
			break // no dictionary word starts with these characters
		}
		if f := d.freq[n]; f > 0 {
			add(i, f)
			found = true
		}
	}
	return found
}

// char returns what gse's Find returns for the one-character word r: its
// frequency, and whether the dictionary has it as a word or the beginning
// of one.
func (d *Dict) char(r rune) (freq float64, ok bool) {
	n := d.child(0, r)
	return d.freq[n], n != 0
}

// maxSubwordRunes bounds the sub-word search; longer dictionary words are
// rare and the search is quadratic in the word length.
const maxSubwordRunes = 6

// FoldFilter lower-cases and folds width and traditional characters of each
// token's term in place of separate filters, since all three are rune maps.
type FoldFilter struct{ t2s *t2sRunes }

// NewFoldFilter returns the folding token filter.
func NewFoldFilter() *FoldFilter { return &FoldFilter{t2s: traditionalToSimplified()} }

func foldFilterConstructor(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
	return NewFoldFilter(), nil
}

// Filter implements analysis.TokenFilter.
func (f *FoldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, tok := range input {
		if needsFold(tok.Term, f.t2s) {
			out := make([]byte, 0, len(tok.Term))
			for i := 0; i < len(tok.Term); {
				r, size := utf8.DecodeRune(tok.Term[i:])
				out = utf8.AppendRune(out, foldRune(r, f.t2s))
				i += size
			}
			tok.Term = out
		}
	}
	return input
}

func needsFold(term []byte, t2s *t2sRunes) bool {
	for i := 0; i < len(term); {
		r, size := utf8.DecodeRune(term[i:])
		if foldRune(r, t2s) != r {
			return true
		}
		i += size
	}
	return false
}

func analyzerConstructor(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
	tok, err := cache.TokenizerNamed(TokenizerName)
	if err != nil {
		return nil, fmt.Errorf("%s analyzer: %w", AnalyzerName, err)
	}
	fold, err := cache.TokenFilterNamed(FoldFilterName)
	if err != nil {
		return nil, err
	}
	// No bleve lowercase filter: the fold filter lower-cases already, and
	// bleve's corrupts a term after a letter whose lower case is shorter in
	// UTF-8 (İstanbul → "i\xb0stanbu", K KELVIN SIGN), found by FuzzAnalyzer.
	return &analysis.DefaultAnalyzer{Tokenizer: tok, TokenFilters: []analysis.TokenFilter{fold}}, nil
}

func bigramAnalyzerConstructor(_ map[string]interface{}, cache *registry.Cache) (analysis.Analyzer, error) {
	tok, err := cache.TokenizerNamed(unicode.Name)
	if err != nil {
		return nil, err
	}
	var filters []analysis.TokenFilter
	// No width or lower-case filter: the fold char filter has folded both
	// before the tokenizer runs (TestBigramAnalyzer compares the streams
	// whole, and TestBigramFrequencies the counts over the seeds).
	for _, name := range []string{FoldFilterName, cjk.BigramName} {
		f, err := cache.TokenFilterNamed(name)
		if err != nil {
			return nil, fmt.Errorf("%s analyzer: %w", BigramAnalyzerName, err)
		}
		filters = append(filters, f)
	}
	return &analysis.DefaultAnalyzer{
		CharFilters:  []analysis.CharFilter{foldCharFilter{t2s: traditionalToSimplified()}},
		Tokenizer:    tok,
		TokenFilters: filters,
	}, nil
}

// foldCharFilter folds the text before bleve's unicode tokenizer sees it:
// that tokenizer drops full-width digits (１２３) and returns nothing at all
// for text with an invalid UTF-8 byte. Bigram fields keep no term vectors,
// so the offsets this shifts are never used.
type foldCharFilter struct{ t2s *t2sRunes }

func (f foldCharFilter) Filter(input []byte) []byte {
	out := make([]byte, 0, len(input))
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && size <= 1 {
			r = ' '
		}
		out = utf8.AppendRune(out, foldRune(r, f.t2s))
		i += size
	}
	return out
}
