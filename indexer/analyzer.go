package indexer

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/go-ego/gse"
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
	seg      *gse.Segmenter
	t2s      map[rune]rune
	subwords bool
}

// NewTokenizer returns a tokenizer on the shared segmenter.
func NewTokenizer(subwords bool) (*Tokenizer, error) {
	seg, err := Segmenter()
	if err != nil {
		return nil, err
	}
	return &Tokenizer{seg: seg, t2s: traditionalToSimplified(), subwords: subwords}, nil
}

func tokenizerConstructor(config map[string]interface{}, _ *registry.Cache) (analysis.Tokenizer, error) {
	subwords := true
	if v, ok := config["subwords"].(bool); ok {
		subwords = v
	}
	return NewTokenizer(subwords)
}

// Tokenize implements analysis.Tokenizer.
func (t *Tokenizer) Tokenize(input []byte) analysis.TokenStream {
	// folded[i] is the i-th rune after folding; offs[i] its byte offset in
	// input, with offs[len(folded)] == len(input).
	folded := make([]rune, 0, len(input)/2)
	offs := make([]int, 0, len(input)/2+1)
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

	stream := make(analysis.TokenStream, 0, len(folded)/2+1)
	pos := 0
	emit := func(from, to int, typ analysis.TokenType, samePos bool) {
		if !samePos {
			pos++
		}
		stream = append(stream, &analysis.Token{
			Term:     input[offs[from]:offs[to]],
			Start:    offs[from],
			End:      offs[to],
			Position: pos,
			Type:     typ,
		})
	}

	for i := 0; i < len(folded); {
		r := folded[i]
		switch {
		case isHan(r):
			j := i + 1
			for j < len(folded) && isHan(folded[j]) {
				j++
			}
			t.segmentHan(folded, i, j, emit)
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

// maxHanChunk bounds the characters of one Han run handed to gse at once.
// gse's DAG builds maps keyed by position over the whole string, so one
// enormous run (a hostile page of 5 MB of 医保医保…) cost seconds and
// hundreds of megabytes per call, superlinearly. Real text has punctuation
// every few dozen characters, so only such input is ever cut.
const maxHanChunk = 1024

// segmentHan cuts folded[from:to], a run of Han characters, into words.
func (t *Tokenizer) segmentHan(folded []rune, from, to int, emit func(int, int, analysis.TokenType, bool)) {
	if to-from == 1 {
		emit(from, to, analysis.Ideographic, false)
		return
	}
	for at := from; at < to; {
		end := min(to, at+maxHanChunk)
		sizes := t.cutHan(folded[at:end])
		if end < to && len(sizes) > 1 {
			// The chunk boundary may split the last word: cut it again
			// together with the characters that follow.
			sizes = sizes[:len(sizes)-1]
		}
		for _, size := range sizes {
			emit(at, at+size, analysis.Ideographic, false)
			if t.subwords && size > 2 {
				t.emitSubwords(folded, at, at+size, emit)
			}
			at += size
		}
	}
}

// cutHan returns the lengths in runes of gse's words for run.
func (t *Tokenizer) cutHan(run []rune) []int {
	words := t.seg.Cut(string(run), false)
	sizes := make([]int, len(words))
	n := 0
	for i, w := range words {
		sizes[i] = utf8.RuneCountInString(w)
		n += sizes[i]
	}
	if n != len(run) || slices.Contains(sizes, 0) {
		// gse returned pieces that do not tile the input; fall back to one
		// token per character rather than emit wrong offsets.
		sizes = sizes[:0]
		for range run {
			sizes = append(sizes, 1)
		}
	}
	return sizes
}

// emitSubwords adds the dictionary words inside a longer word (医保卡 → 医保,
// 肠梨形鞭毛虫病 → 鞭毛虫病, 鞭毛虫 …) at the parent's position, like gse's
// search mode but not limited to two and three characters.
func (t *Tokenizer) emitSubwords(folded []rune, from, to int, emit func(int, int, analysis.TokenType, bool)) {
	longest := min(to-from-1, maxSubwordRunes)
	for n := 2; n <= longest; n++ {
		for i := from; i+n <= to; i++ {
			if freq, _, ok := t.seg.Find(string(folded[i : i+n])); ok && freq > 0 {
				emit(i, i+n, analysis.Ideographic, true)
			}
		}
	}
}

// maxSubwordRunes bounds the sub-word search; longer dictionary words are
// rare and the search is quadratic in the word length.
const maxSubwordRunes = 6

// FoldFilter lower-cases and folds width and traditional characters of each
// token's term in place of separate filters, since all three are rune maps.
type FoldFilter struct{ t2s map[rune]rune }

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

func needsFold(term []byte, t2s map[rune]rune) bool {
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
	for _, name := range []string{cjk.WidthName, lowercase.Name, FoldFilterName, cjk.BigramName} {
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
type foldCharFilter struct{ t2s map[rune]rune }

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
