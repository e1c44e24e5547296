package search

import (
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"

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
// (tangniaobing, yibao kuasheng) is tiled with the same keys.

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
		if old, ok := sp.byKey[key]; !ok || n > old.df || (n == old.df && w < old.word) {
			sp.byKey[key] = spellEntry{w, n}
		}
		sp.maxKey = max(sp.maxKey, len(key))
	}
	return sp, nil
}

// correct returns q with its likely typos replaced, or "" when it finds
// none. an is the query analyzer: only spans of whole tokens that hold a
// single character (where gse gave up on a word) or an unknown token are
// candidates, so a query of real words is never rewritten.
func (sp *speller) correct(q string, an analysis.Analyzer) string {
	if sp == nil || q == "" {
		return ""
	}
	if c := sp.fromPinyin(q); c != "" {
		return c
	}
	folded := indexer.FoldText(q)
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
			e, ok := sp.byKey[firstReading(span, pc)]
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
// 医保 跨省. "" when q is not all letters or does not tile.
func (sp *speller) fromPinyin(q string) string {
	var words []string
	for _, part := range strings.Fields(strings.ToLower(q)) {
		for _, r := range part {
			if r < 'a' || r > 'z' {
				return ""
			}
		}
		// best[i]: fewest words tiling part[:i].
		best := make([][]string, len(part)+1)
		best[0] = []string{}
		for i := 0; i < len(part); i++ {
			if best[i] == nil {
				continue
			}
			for j := min(len(part), i+sp.maxKey); j > i; j-- {
				e, ok := sp.byKey[part[i:j]]
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
		words = append(words, strings.Join(best[len(part)], ""))
	}
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " ")
}
