package indexer

import (
	"unicode/utf8"
	"unsafe"

	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
)

// The bigram fields keep no term vectors, so all the index keeps of their
// analysis is which terms occur how often and the number of tokens. The
// bigram analyzer gets there through a chain of general tools — fold the
// text, segment it into words by Unicode's rules (UAX #29), fix widths,
// lower-case, fold the terms, pair up ideographs — 8% of a build's CPU.
// For text made only of common ideographs, ASCII letters, digits and
// punctuation, and the usual CJK punctuation (99% of the benchmark
// corpus's bytes), bigramFrequencies counts the same terms in one pass;
// TestBigramFrequencies compares the two on every character class it
// accepts. Other text goes through the analyzer.

// bigramField is a document.TextField under the bigram analyzer, in a
// field without term vectors.
type bigramField struct {
	name     string
	arrayPos []uint64
	opts     index.FieldIndexingOptions
	analyzer bleveanalysis.Analyzer
	value    []byte
	length   int
	freqs    index.TokenFrequencies
}

func (f *bigramField) Name() string                                     { return f.name }
func (f *bigramField) Value() []byte                                    { return f.value }
func (f *bigramField) ArrayPositions() []uint64                         { return f.arrayPos }
func (f *bigramField) EncodedFieldType() byte                           { return 't' }
func (f *bigramField) Options() index.FieldIndexingOptions              { return f.opts }
func (f *bigramField) AnalyzedLength() int                              { return f.length }
func (f *bigramField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }
func (f *bigramField) NumPlainTextBytes() uint64                        { return uint64(len(f.value)) }

// Size estimates the field's memory, as document.Field asks.
func (f *bigramField) Size() int {
	n := int(unsafe.Sizeof(*f)) + len(f.name) + 8*len(f.arrayPos) + len(f.value)
	if f.freqs != nil {
		n += f.freqs.Size()
	}
	return n
}

func (f *bigramField) Analyze() {
	if freqs, n, ok := bigramFrequencies(f.value, f.opts); ok {
		f.freqs, f.length = freqs, n
		return
	}
	// What document.TextField.Analyze does.
	input := f.value
	if f.opts.IsStored() {
		input = append([]byte(nil), input...)
	}
	tokens := f.analyzer.Analyze(input)
	f.length = len(tokens)
	f.freqs = bleveanalysis.TokenFrequency(tokens, f.arrayPos, f.opts)
}

// Classes of folded runes, as far as bigramFrequencies tells them apart.
// The mid classes are UAX #29's: they join letters (midLetter), digits
// (midNum) or either (midNumLet) on both sides into one word.
const (
	bgOther = iota // a word break: space, most punctuation
	bgHan
	bgLetter
	bgDigit
	bgMidLetter // :
	bgMidNum    // , ;
	bgMidNumLet // . '
	bgUnknown   // anything else: the analyzer decides
)

// bigramClass returns the class of a folded rune.
func bigramClass(r rune) uint8 {
	switch {
	case r < utf8.RuneSelf:
		return asciiBigramClass[r]
	case (r >= 0x4E00 && r <= 0x9FA5) || (r >= 0x3400 && r <= 0x4DB5):
		// The ideographs of Unicode 3.0, whatever the version of the
		// segmenter's tables.
		return bgHan
	}
	switch r {
	case '。', '、', '《', '》', '〈', '〉', '「', '」', '『', '』', '【', '】', '〔', '〕',
		'“', '”', '…', '—', '–':
		return bgOther
	}
	return bgUnknown
}

var asciiBigramClass = func() (t [utf8.RuneSelf]uint8) {
	for r := range t {
		switch {
		case r >= 'a' && r <= 'z':
			t[r] = bgLetter
		case r >= 'A' && r <= 'Z':
			t[r] = bgUnknown // folding lower-cases them all
		case r >= '0' && r <= '9':
			t[r] = bgDigit
		case r == ':':
			t[r] = bgMidLetter
		case r == ',' || r == ';':
			t[r] = bgMidNum
		case r == '.' || r == '\'':
			t[r] = bgMidNumLet
		case r == '_' || r == '"' || (r < ' ' && r != '\t' && r != '\n'):
			// _ joins words (ExtendNumLet), " joins Hebrew letters, and
			// control characters have rules of their own.
			t[r] = bgUnknown
		default:
			t[r] = bgOther
		}
	}
	return t
}()

// bigramFrequencies returns the term frequencies and token count the
// bigram analyzer and bleveanalysis.TokenFrequency give text, for a field
// without term vectors, or ok false when text has characters it does not
// handle.
func bigramFrequencies(text []byte, opts index.FieldIndexingOptions) (freqs index.TokenFrequencies, tokens int, ok bool) {
	if opts.IncludeTermVectors() {
		return nil, 0, false
	}
	fold := analysis.NewFolder()
	// The folded text, its runes' byte offsets and classes.
	folded := make([]byte, 0, len(text))
	offs := make([]int32, 0, len(text)/2+1)
	class := make([]uint8, 0, len(text)/2+1)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			r = ' '
		}
		r = fold.Rune(r)
		c := bigramClass(r)
		if c == bgUnknown {
			return nil, 0, false
		}
		offs = append(offs, int32(len(folded)))
		class = append(class, c)
		folded = utf8.AppendRune(folded, r)
		i += size
	}
	offs = append(offs, int32(len(folded)))

	freqs = make(index.TokenFrequencies, len(class)/2+1)
	add := func(term []byte) {
		tokens++
		tf, ok := freqs[string(term)]
		if !ok {
			tf = &index.TokenFreq{Term: term}
			freqs[string(term)] = tf
		}
		if !opts.SkipFreqNorm() {
			tf.SetFrequency(tf.Frequency() + 1)
		}
	}
	word := func(c uint8) bool { return c == bgLetter || c == bgDigit }
	n := len(class)
	for i := 0; i < n; {
		switch class[i] {
		case bgHan:
			// A run of adjacent ideographs: each pair, or the one alone.
			j := i + 1
			for j < n && class[j] == bgHan {
				j++
			}
			if j-i == 1 {
				add(folded[offs[i]:offs[j]])
			}
			for k := i; k+1 < j; k++ {
				add(folded[offs[k]:offs[k+2]])
			}
			i = j
		case bgLetter, bgDigit:
			// Letters and digits make one word; a mid character between
			// two letters or two digits it may join is part of it.
			j := i + 1
			for j < n {
				if word(class[j]) {
					j++
					continue
				}
				if j+1 < n && joins(class[j-1], class[j], class[j+1]) {
					j += 2
					continue
				}
				break
			}
			add(folded[offs[i]:offs[j]])
			i = j
		default:
			i++
		}
	}
	return freqs, tokens, true
}

// joins reports whether mid, between prev and next, is inside a word.
func joins(prev, mid, next uint8) bool {
	switch {
	case prev == bgLetter && next == bgLetter:
		return mid == bgMidLetter || mid == bgMidNumLet
	case prev == bgDigit && next == bgDigit:
		return mid == bgMidNum || mid == bgMidNumLet
	}
	return false
}
