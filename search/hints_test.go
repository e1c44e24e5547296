package search

import (
	"context"
	"slices"
	"testing"
)

// A filtered search that finds nothing is offered each filter's removal
// that finds something, with the count that search gives, most first, and
// the query without each of its words.
func TestHints(t *testing.T) {
	req := Request{Query: "医保卡 跨省", Provinces: []string{"西藏"}, Topics: []string{"医保"}, DateFrom: "2025-03-01", DateTo: "2025-03-31", Page: 1, Size: 10}
	if res := doSearch(t, req); res.Total != 0 {
		t.Fatalf("the request should find nothing, found %d", res.Total)
	}
	h, err := seedEngine.Hints(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.DropFilters) == 0 {
		t.Fatal("no filter to drop")
	}
	for i, d := range h.DropFilters {
		var alt Request
		for _, dr := range droppable(req) {
			if dr.param == d.Param && dr.value == d.Value {
				alt = dr.without(req)
			}
		}
		if alt.Page == 0 {
			t.Fatalf("hint %+v is no filter of the request", d)
		}
		if got := doSearch(t, alt).Total; got != d.Total || got == 0 {
			t.Errorf("dropping %s %q: hint says %d, search gives %d", d.Param, d.Value, d.Total, got)
		}
		if i > 0 && d.Total > h.DropFilters[i-1].Total {
			t.Errorf("hints not by count: %+v", h.DropFilters)
		}
	}
	if !slices.ContainsFunc(h.DropFilters, func(d DroppedFilter) bool { return d.Param == "" }) {
		t.Errorf("no hint to drop every filter: %+v", h.DropFilters)
	}
	for _, want := range []string{"医保卡", "跨省"} {
		if !slices.Contains(h.Similar, want) {
			t.Errorf("similar %q lacks %q", h.Similar, want)
		}
	}
	if _, err := seedEngine.Hints(context.Background(), Request{Page: 0, Size: 10}); err == nil {
		t.Error("an invalid request got hints")
	}
}
