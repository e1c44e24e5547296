package search

import (
	"context"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2"

	"healthsearch/indexer"
)

// Suggestion is one autocomplete entry.
type Suggestion struct {
	Text string `json:"text"`
	Kind string `json:"kind"` // "title" or "term"
}

// suggester completes prefixes from document titles. It is built once per
// generation when it is opened, so requests only binary-search.
type suggester struct {
	keys   []string // folded titles, sorted
	titles []string // original titles, same order
}

func buildSuggester(idx bleve.Index) (*suggester, error) {
	s := &suggester{}
	dict, err := idx.FieldDict(indexer.FieldTitle)
	if err != nil {
		return nil, err
	}
	dict.Close()
	return s, nil
}

// Suggest returns up to n completions of prefix.
func (e *Engine) Suggest(ctx context.Context, prefix string, n int) ([]Suggestion, error) {
	g := e.current.Load()
	out := []Suggestion{}
	key := indexer.FoldText(strings.TrimSpace(prefix))
	if key == "" || g.suggest == nil {
		return out, nil
	}
	s := g.suggest
	i := sort.SearchStrings(s.keys, key)
	for ; i < len(s.keys) && len(out) < n && strings.HasPrefix(s.keys[i], key); i++ {
		out = append(out, Suggestion{Text: s.titles[i], Kind: "title"})
	}
	return out, nil
}
