package search

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Temporary debugging aid (removed before hand-off).
func TestZZExplain(t *testing.T) {
	dir, q := os.Getenv("HS_INDEX"), os.Getenv("HS_Q")
	if dir == "" || q == "" {
		t.Skip("HS_INDEX / HS_Q not set")
	}
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, qq := range strings.Split(q, "|") {
		plan := planQuery(qq, e.an, e.vocab)
		fmt.Printf("== %s\n", qq)
		for _, g := range plan.groups {
			fmt.Printf("   group frag=%q opt=%v %v\n", g.fragment, g.optional, g.variants)
		}
		min := len(plan.required())
		if os.Getenv("HS_MIN") != "" {
			fmt.Sscan(os.Getenv("HS_MIN"), &min)
		}
		sreq := bleve.NewSearchRequestOptions(textQuery(plan, min), 8, 0, os.Getenv("HS_EXPLAIN") != "")
		sreq.Fields = []string{"title", "type"}
		sr, err := e.alias.SearchInContext(context.Background(), sreq)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("   total %d\n", sr.Total)
		for i, h := range sr.Hits {
			fmt.Printf("%2d %.17g %s %s\n", i+1, h.Score, h.Fields["type"], h.Fields["title"])
			if h.Expl != nil && i < 4 {
				printExpl(h.Expl, 2, 0)
			}
		}
	}
}

func printExpl(e *bsearch.Explanation, depth, lvl int) {
	if e == nil {
		return
	}
	if e.Value == 0 {
		return
	}
	msg := e.Message
	if len(msg) > 110 {
		msg = msg[:110]
	}
	fmt.Printf("%s%.3f %s\n", strings.Repeat("  ", lvl+2), e.Value, msg)
	if lvl < depth+8 {
		for _, c := range e.Children {
			printExpl(c, depth, lvl+1)
		}
	}
}
