package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Hints are what a search that found nothing can offer instead: the same
// search without one of its filters (or all of them) where that finds
// something, and similar queries. They are the engine's, not the page's,
// so the JSON API offers them too (GET /api/hints) and their extra
// searches are not counted as user searches.
type Hints struct {
	// DropFilters are the filters whose removal finds results, most
	// results first.
	DropFilters []DroppedFilter `json:"drop_filters"`
	// Similar are queries close to the query: it without one of its words,
	// and completions of its beginning.
	Similar []string `json:"similar"`
}

// DroppedFilter is a filter of the request and how many results the
// request finds without it. Param is type, province, city, topic or date
// (Value is then the range as from..to), or "" for all filters at once.
type DroppedFilter struct {
	Param string `json:"param"`
	Value string `json:"value,omitempty"`
	Total uint64 `json:"total"`
}

const (
	// maxDropHints bounds the extra searches a fruitless search costs.
	maxDropHints = 6
	// maxSimilar bounds the similar queries offered.
	maxSimilar = 8
)

// Hints returns the hints for req (see Hints). It searches the live
// generation, without typo correction (the page offers that already).
func (e *Engine) Hints(ctx context.Context, req Request) (*Hints, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	h := &Hints{DropFilters: []DroppedFilter{}, Similar: []string{}}
	drops := droppable(req)
	if len(drops) > 0 {
		g, r, release, err := e.snapshot()
		if err != nil {
			return nil, fmt.Errorf("hints: %w", err)
		}
		defer release()
		for i, d := range drops {
			if i == maxDropHints {
				break
			}
			alt := d.without(req)
			alt.Page, alt.Size, alt.Explain = 1, 1, false
			res, err := e.search(ctx, g, r, alt)
			if err != nil {
				return nil, fmt.Errorf("hints: %w", err)
			}
			if res.Total > 0 {
				h.DropFilters = append(h.DropFilters, DroppedFilter{Param: d.param, Value: d.value, Total: res.Total})
			}
		}
		slices.SortStableFunc(h.DropFilters, func(a, b DroppedFilter) int {
			switch {
			case a.Total > b.Total:
				return -1
			case a.Total < b.Total:
				return 1
			}
			return 0
		})
	}
	similar, err := e.similarQueries(ctx, req.Query)
	if err != nil {
		return nil, err
	}
	h.Similar = similar
	return h, nil
}

// drop is one filter of a request.
type drop struct {
	param, value string
	without      func(Request) Request
}

// droppable lists req's filters in the order the page shows them, then
// all of them when there are several.
func droppable(req Request) []drop {
	var out []drop
	if req.Type != "" {
		out = append(out, drop{"type", req.Type, func(r Request) Request { r.Type = ""; return r }})
	}
	for _, f := range []struct {
		param string
		vals  []string
		set   func(*Request, []string)
	}{
		{"province", req.Provinces, func(r *Request, v []string) { r.Provinces = v }},
		{"city", req.Cities, func(r *Request, v []string) { r.Cities = v }},
		{"topic", req.Topics, func(r *Request, v []string) { r.Topics = v }},
	} {
		for _, v := range f.vals {
			rest := slices.DeleteFunc(slices.Clone(f.vals), func(x string) bool { return x == v })
			set := f.set
			out = append(out, drop{f.param, v, func(r Request) Request { set(&r, rest); return r }})
		}
	}
	if req.DateFrom != "" || req.DateTo != "" {
		out = append(out, drop{"date", req.DateFrom + ".." + req.DateTo, func(r Request) Request { r.DateFrom, r.DateTo = "", ""; return r }})
	}
	if len(out) > 1 {
		out = append(out, drop{"", "", func(r Request) Request {
			return Request{Query: r.Query, Sort: r.Sort, Page: r.Page, Size: r.Size, Exact: r.Exact, FuzzyPinyin: r.FuzzyPinyin}
		}})
	}
	return out
}

// similarQueries offers other queries close to q: q without one of its
// words, then completions of q or of its first characters.
func (e *Engine) similarQueries(ctx context.Context, q string) ([]string, error) {
	text := strings.TrimSpace(q)
	out := []string{}
	if text == "" {
		return out, nil
	}
	seen := map[string]bool{text: true}
	add := func(alt string) {
		alt = strings.TrimSpace(alt)
		if alt == "" || seen[alt] || len(out) == maxSimilar {
			return
		}
		seen[alt] = true
		out = append(out, alt)
	}
	if words := strings.Fields(text); len(words) > 1 {
		for i := range words {
			add(strings.Join(slices.Delete(slices.Clone(words), i, i+1), " "))
		}
	}
	runes := []rune(text)
	// Two letters of Latin text are pinyin initials of half the corpus;
	// two Han characters are already a word.
	shortest := 2
	if isASCII(text) {
		shortest = 3
	}
	for k := min(len(runes), 50); k >= shortest && len(out) < maxSimilar/2; k-- {
		sug, err := e.Suggest(ctx, string(runes[:k]), maxSimilar)
		if err != nil {
			return nil, err
		}
		for _, sg := range sug {
			add(sg.Text)
		}
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
