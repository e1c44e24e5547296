package search

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"

	"healthsearch/analysis"
)

//go:embed stopwords.txt
var defaultStopwords []byte

//go:embed synonyms.txt
var defaultSynonyms []byte

// Vocabulary is the query-side word knowledge: stop words and synonym sets.
type Vocabulary struct {
	stop     map[string]bool
	synonyms map[string][]string
}

// DefaultVocabulary returns the embedded stop words and synonyms.
func DefaultVocabulary() *Vocabulary {
	v, err := NewVocabulary(defaultStopwords, defaultSynonyms)
	if err != nil {
		panic(fmt.Sprintf("embedded vocabulary: %v", err))
	}
	return v
}

// NewVocabulary reads stop words (whitespace separated) and synonym sets
// (one set per line, words separated by spaces or commas).
func NewVocabulary(stopwords, synonyms []byte) (*Vocabulary, error) {
	v := &Vocabulary{stop: map[string]bool{}, synonyms: map[string][]string{}}
	if err := eachLine(stopwords, func(_ int, words []string) error {
		for _, w := range words {
			v.stop[analysis.FoldText(w)] = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("stop words: %w", err)
	}
	if err := eachLine(synonyms, func(line int, words []string) error {
		if len(words) < 2 {
			return fmt.Errorf("line %d: a synonym set needs at least two words", line)
		}
		for i, w := range words {
			words[i] = analysis.FoldText(w)
		}
		for _, w := range words {
			for _, o := range words {
				if o != w && !contains(v.synonyms[w], o) {
					v.synonyms[w] = append(v.synonyms[w], o)
				}
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("synonyms: %w", err)
	}
	return v, nil
}

// AddSynonyms merges extra synonym sets (the format of synonyms.txt).
func (v *Vocabulary) AddSynonyms(data []byte) error {
	extra, err := NewVocabulary(nil, data)
	if err != nil {
		return err
	}
	for w, syns := range extra.synonyms {
		for _, s := range syns {
			if !contains(v.synonyms[w], s) {
				v.synonyms[w] = append(v.synonyms[w], s)
			}
		}
	}
	return nil
}

func eachLine(data []byte, fn func(line int, words []string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '，' })
		if err := fn(n, words); err != nil {
			return err
		}
	}
	return sc.Err()
}

// IsStop reports whether a (folded) word is a stop word.
func (v *Vocabulary) IsStop(w string) bool { return v.stop[w] }

// Synonyms returns the other words of w's synonym sets.
func (v *Vocabulary) Synonyms(w string) []string { return v.synonyms[w] }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
