package search

import (
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"

	"healthsearch/analysis"
)

// TestSynonymFile checks the shipped synonym sets the way they are used: a
// word in two sets would join them silently, and a stop word is dropped
// from a query before synonyms apply. A short query finds a set through the
// word its text is analysed into, so a set whose every member the analyzer
// splits works only for questions (matched by bigrams, question.go) and
// fragments: there are 18 such sets today, and the test keeps it so.
func TestSynonymFile(t *testing.T) {
	an, err := bleve.Config.Cache.AnalyzerNamed(analysis.AnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	v := DefaultVocabulary()
	where := map[string]int{}
	sets, split := 0, 0
	err = eachLine(defaultSynonyms, func(line int, words []string) error {
		sets++
		if len(words) < 2 {
			t.Errorf("line %d: %v is not a set", line, words)
		}
		whole := 0
		for _, w := range words {
			if prev, ok := where[w]; ok {
				t.Errorf("line %d: %s is also in the set of line %d", line, w, prev)
			}
			where[w] = line
			if utf8.RuneCountInString(w) < 2 && w != "扣" && w != "交" && w != "缴" {
				t.Errorf("line %d: %s is a single character", line, w)
			}
			if v.IsStop(analysis.FoldText(w)) {
				t.Errorf("line %d: %s is a stop word", line, w)
			}
			if toks := an.Analyze([]byte(w)); len(toks) > 0 && string(toks[0].Term) == analysis.FoldText(w) {
				whole++
			}
		}
		if whole == 0 {
			split++
			t.Logf("line %d: the analyzer splits every word of %v", line, words)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if split > 18 {
		t.Errorf("%d sets have no word the analyzer keeps whole (18 when this test was written): add the word to the dictionary or a member it keeps", split)
	}
	if sets < 300 {
		t.Errorf("%d synonym sets; the shipped file has over 300", sets)
	}
}
