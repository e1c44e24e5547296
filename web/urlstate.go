package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"healthsearch/search"
)

// A search as the pages' links carry it, and the labels of its parts.

// pageQuery is a search as the pages' links carry it. Links are built by
// copying the current one and changing one thing, so every link keeps the
// rest of the search: the query, the other filters, the sort and the size.
type pageQuery struct {
	Q                         string
	Type                      string
	Provinces, Cities, Topics []string
	DateFrom, DateTo          string
	Sort                      string
	Page, Size                int
	Exact                     bool // no typo correction
	FuzzyPinyin               bool // n/l, z/zh, in/ing … heard as one
}

func fromRequest(r search.Request) pageQuery {
	return pageQuery{
		Q: r.Query, Type: r.Type, Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics,
		DateFrom: r.DateFrom, DateTo: r.DateTo, Sort: r.Sort, Page: r.Page, Size: r.Size, Exact: r.Exact,
		FuzzyPinyin: r.FuzzyPinyin,
	}
}

func (q pageQuery) request() search.Request {
	return search.Request{
		Query: q.Q, Type: q.Type, Provinces: q.Provinces, Cities: q.Cities, Topics: q.Topics,
		DateFrom: q.DateFrom, DateTo: q.DateTo, Sort: q.Sort, Page: max(q.Page, 1), Size: orDefault(q.Size, search.DefaultPageSize),
		Exact: q.Exact, FuzzyPinyin: q.FuzzyPinyin,
	}
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// url encodes the search in a fixed parameter order, leaving out defaults,
// so equal searches have equal, readable URLs.
func (q pageQuery) url() string {
	var b strings.Builder
	b.WriteString("/search")
	sep := byte('?')
	add := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	add("q", q.Q)
	add("type", q.Type)
	for _, v := range q.Provinces {
		add("province", v)
	}
	for _, v := range q.Cities {
		add("city", v)
	}
	for _, v := range q.Topics {
		add("topic", v)
	}
	add("date_from", q.DateFrom)
	add("date_to", q.DateTo)
	if q.Sort != "" && q.Sort != search.SortRelevance {
		add("sort", q.Sort)
	}
	if q.Size > 0 && q.Size != search.DefaultPageSize {
		add("size", strconv.Itoa(q.Size))
	}
	if q.Page > 1 {
		add("page", strconv.Itoa(q.Page))
	}
	if q.Exact {
		add("exact", "1")
	}
	if q.FuzzyPinyin {
		add("fuzzy_pinyin", "1")
	}
	if sep == '?' {
		return "/search"
	}
	return b.String()
}

// with returns a copy changed by f, on page 1: a different search starts
// at its beginning. The copy has its own slices, so f may change them.
func (q pageQuery) with(f func(*pageQuery)) pageQuery {
	c := q
	c.Provinces = slices.Clone(q.Provinces)
	c.Cities = slices.Clone(q.Cities)
	c.Topics = slices.Clone(q.Topics)
	c.Page = 1
	f(&c)
	return c
}

// toggled adds v to list, or removes it when present.
func toggled(list []string, v string) []string {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return append(list, v)
}

func (q pageQuery) hasFilters() bool {
	return q.Type != "" || len(q.Provinces)+len(q.Cities)+len(q.Topics) > 0 || q.DateFrom != "" || q.DateTo != ""
}

// hidden is the search as form fields, for the search box to keep the
// filters. Dates are left to the date-range inputs, which belong to the
// same form, and the page always restarts at 1.
func (q pageQuery) hidden() []field {
	var out []field
	if q.Type != "" {
		out = append(out, field{"type", q.Type})
	}
	for _, v := range q.Provinces {
		out = append(out, field{"province", v})
	}
	for _, v := range q.Cities {
		out = append(out, field{"city", v})
	}
	for _, v := range q.Topics {
		out = append(out, field{"topic", v})
	}
	if q.Sort != "" && q.Sort != search.SortRelevance {
		out = append(out, field{"sort", q.Sort})
	}
	if q.Size > 0 && q.Size != search.DefaultPageSize {
		out = append(out, field{"size", strconv.Itoa(q.Size)})
	}
	return out
}

// monthRange returns the first and last day of a YYYY-MM month.
func monthRange(month string) (from, to string, ok bool) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", "", false
	}
	return t.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly), true
}

func monthLabel(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
}

func typeLabel(t string) string {
	switch t {
	case "article":
		return "文章"
	case "related":
		return "相关推荐"
	}
	return t
}
