package search

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/indexer"
)

// Typo and pinyin correction from the index's own vocabulary.
//
// A pinyin input method that picks the wrong candidate writes a homophone
// (高血鸭 for 高血压, 颠痫 for 癫痫): the query then holds a string that is no
// word of the index, broken by gse into single characters, and spelled the
// same as a word the index has many times. The speller maps the toneless
// pinyin of every word of 2 to 4 Han characters in the titles and bodies
// to its most frequent spelling; a query span that is unknown and spells
// such a word is replaced by it. A query typed as pinyin letters
// (tangniaobing, yibao kuasheng, gao xue ya) is tiled with the same keys.
//
// Fuzzy pinyin (模糊音) is the input-method setting for speakers who do not
// tell some sounds apart: n/l, z/zh, c/ch, s/sh, an/ang, en/eng, in/ing. With
// it on (Request.FuzzyPinyin), a span or pinyin word whose exact key matches
// nothing is looked up by its fuzzy key too (nao nian ren → 老年人, 流感 typed
// as 牛感). It is an option, off by default: folding seven pairs merges many
// keys, and a speaker who does tell them apart gets fewer right guesses.

const (
	// spellMinDF is how many documents a word must be in to be proposed:
	// a correction to a word as rare as the typo helps nobody.
	spellMinDF                   = 3
	spellMinRunes, spellMaxRunes = 2, 4
)

type spellEntry struct {
	word string
	df   uint64
}

// speller holds the pinyin keys of one generation's vocabulary.
type speller struct {
	byKey map[string]spellEntry
	// byFuzzy is byKey under fuzzyKey, for Request.FuzzyPinyin: derived
	// from byKey on the first fuzzy request (fuzzy), as few ask for it.
	fuzzyOnce sync.Once
	byFuzzy   map[string]spellEntry
	// df is the document frequency of every word of the word fields: a
	// word in it is known and never corrected.
	df map[string]uint64
	// maxKey is the longest key, which bounds the pinyin tiling.
	maxKey int
}

// firstReading returns the toneless pinyin of s from each character's most
// common reading (the suggester's memoised readings), or "" when s holds
// anything but Han.
func firstReading(s string, pc *pinyinCache) string {
	var b strings.Builder
	for _, r := range s {
		rs := pc.reading(r)
		if len(rs) == 0 {
			return ""
		}
		b.WriteString(rs[0])
	}
	return b.String()
}

// buildSpeller reads the word fields' dictionaries of r.
func buildSpeller(r index.IndexReader) (*speller, error) {
	df := map[string]uint64{}
	for _, f := range []string{indexer.FieldTitle, indexer.FieldBody, indexer.FieldSnippet} {
		d, err := r.FieldDict(f)
		if err != nil {
			return nil, err
		}
		for {
			e, err := d.Next()
			if err != nil {
				d.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			df[e.Term] += e.Count
		}
		if err := d.Close(); err != nil {
			return nil, err
		}
	}
	sp := &speller{byKey: map[string]spellEntry{}, df: df}
	pc := newPinyinCache()
	for w, n := range df {
		if n < spellMinDF {
			continue
		}
		if k := utf8.RuneCountInString(w); k < spellMinRunes || k > spellMaxRunes {
			continue
		}
		key := firstReading(w, pc)
		if key == "" {
			continue
		}
		e := spellEntry{w, n}
		keepCommonest(sp.byKey, key, e)
		sp.maxKey = max(sp.maxKey, len(key))
	}
	return sp, nil
}

// keepCommonest files e under key unless a more frequent word (or, at the
// same frequency, a word sorting first, so builds agree) holds it.
func keepCommonest(m map[string]spellEntry, key string, e spellEntry) {
	if old, ok := m[key]; !ok || e.df > old.df || (e.df == old.df && e.word < old.word) {
		m[key] = e
	}
}

// fuzzyFold merges the sounds of the fuzzy-pinyin pairs. It works on whole
// keys rather than syllables: zh, ch, sh and l occur in pinyin only as
// initials, and ng only ends a final (or, across a syllable boundary, n
// meets g; both sides of a lookup fold the same string, so that only
// merges a few more keys).
var fuzzyFold = strings.NewReplacer("zh", "z", "ch", "c", "sh", "s", "ng", "n", "l", "n")

// fuzzy returns byFuzzy, making it on first use. The commonest word of a
// fuzzy key is the commonest of the exact keys' words that fold to it.
func (sp *speller) fuzzy() map[string]spellEntry {
	sp.fuzzyOnce.Do(func() {
		sp.byFuzzy = make(map[string]spellEntry, len(sp.byKey))
		for k, e := range sp.byKey {
			keepCommonest(sp.byFuzzy, fuzzyKey(k), e)
		}
	})
	return sp.byFuzzy
}

// fuzzyKey is the key of s under fuzzy pinyin.
func fuzzyKey(key string) string { return fuzzyFold.Replace(key) }

// lookup finds the commonest word spelled key, by its fuzzy key as well
// when fuzzy is set and the exact key has none.
func (sp *speller) lookup(key string, fuzzy bool) (spellEntry, bool) {
	if e, ok := sp.byKey[key]; ok {
		return e, true
	}
	if fuzzy {
		e, ok := sp.fuzzy()[fuzzyKey(key)]
		return e, ok
	}
	return spellEntry{}, false
}

// correct returns q with its likely typos replaced, or "" when it finds
// none. an is the query analyzer: only spans of whole tokens that hold a
// single character (where gse gave up on a word) or an unknown token are
// candidates, so a query of real words is never rewritten.
func (sp *speller) correct(q string, an bleveanalysis.Analyzer, fuzzy bool) string {
	if sp == nil || q == "" {
		return ""
	}
	if c := sp.fromPinyin(q, fuzzy); c != "" {
		return c
	}
	folded := analysis.FoldText(q)
	type tok struct {
		start, end int
		single     bool
	}
	var toks []tok
	lastPos := -1
	for _, t := range an.Analyze([]byte(folded)) {
		if t.Position == lastPos {
			continue // a sub-word of the previous token
		}
		lastPos = t.Position
		term := string(t.Term)
		toks = append(toks, tok{t.Start, t.End, isSingleHan(term) || sp.df[term] == 0})
	}
	// A cache per call: the speller is shared by concurrent searches.
	pc := newPinyinCache()
	var out strings.Builder
	done, changed := 0, false
	for i := 0; i < len(toks); i++ {
		// The longest span from token i that spells a common word.
		best, bestEnd := "", -1
		hasSingle := false
		for j := i; j < len(toks); j++ {
			if j > i && toks[j].start != toks[j-1].end {
				break
			}
			hasSingle = hasSingle || toks[j].single
			span := folded[toks[i].start:toks[j].end]
			n := utf8.RuneCountInString(span)
			if n > spellMaxRunes {
				break
			}
			if n < spellMinRunes || !hasSingle || sp.df[span] > 0 {
				continue
			}
			e, ok := sp.lookup(firstReading(span, pc), fuzzy)
			if ok && e.word != span && utf8.RuneCountInString(e.word) == n {
				best, bestEnd = e.word, j
			}
		}
		if bestEnd < 0 {
			continue
		}
		out.WriteString(folded[done:toks[i].start])
		out.WriteString(best)
		done, changed = toks[bestEnd].end, true
		i = bestEnd
	}
	if !changed {
		return ""
	}
	out.WriteString(folded[done:])
	return out.String()
}

// fromPinyin tiles a query of pinyin letters (and spaces) with the keys of
// common words, longest first: tangniaobing → 糖尿病, "yibao kuasheng" →
// 医保 跨省. "" when q is not all letters or does not tile. With fuzzy, a
// word that does not tile exactly is tiled again by fuzzy keys.
func (sp *speller) fromPinyin(q string, fuzzy bool) string {
	parts := strings.Fields(strings.ToLower(q))
	for _, part := range parts {
		for _, r := range part {
			if r < 'a' || r > 'z' {
				return ""
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	if w := sp.tileWords(parts, fuzzy); w != "" {
		return w
	}
	// Syllables typed one by one (gao xue ya): no key holds one syllable,
	// so the letters are tiled as one run — only when every part is short
	// enough to be a syllable (zhuang, the longest, has six letters), so
	// words of other languages are not joined across the spaces typed.
	if len(parts) > 1 && !slices.ContainsFunc(parts, func(p string) bool { return len(p) > 6 }) {
		return sp.tileWords([]string{strings.Join(parts, "")}, fuzzy)
	}
	return ""
}

// tileWords tiles each part, exactly or else (with fuzzy) by fuzzy keys,
// and joins the words with spaces; "" when a part does not tile.
func (sp *speller) tileWords(parts []string, fuzzy bool) string {
	words := make([]string, 0, len(parts))
	for _, part := range parts {
		w := sp.tile(part, sp.byKey, func(s string) string { return s })
		if w == "" && fuzzy {
			w = sp.tile(part, sp.fuzzy(), fuzzyKey)
		}
		if w == "" {
			return ""
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// tile spells part, a run of pinyin letters, with the fewest words of keys,
// looking each piece up by key(piece); "" when it does not tile.
func (sp *speller) tile(part string, keys map[string]spellEntry, key func(string) string) string {
	// best[i]: fewest words tiling part[:i].
	best := make([][]string, len(part)+1)
	best[0] = []string{}
	for i := 0; i < len(part); i++ {
		if best[i] == nil {
			continue
		}
		// +4: a fuzzy speaker may type zh, ch, sh or ng where the key has
		// one letter.
		for j := min(len(part), i+sp.maxKey+4); j > i; j-- {
			e, ok := keys[key(part[i:j])]
			if !ok {
				continue
			}
			if best[j] == nil || len(best[i])+1 < len(best[j]) {
				best[j] = append(append([]string{}, best[i]...), e.word)
			}
		}
	}
	if best[len(part)] == nil {
		return ""
	}
	return strings.Join(best[len(part)], "")
}
