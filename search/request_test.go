package search

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func repeatParam(name, value string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = name + "=" + url.QueryEscape(value)
	}
	return strings.Join(parts, "&")
}

func TestParseRequestErrors(t *testing.T) {
	cases := []struct {
		query string // raw URL query
		param string // the parameter the error must name
	}{
		{"size=0", "size"},
		{"size=500", "size"},
		{"size=101", "size"},
		{"size=-1", "size"},
		{"size=abc", "size"},
		{"page=-1", "page"},
		{"page=0", "page"},
		{"page=abc", "page"},
		{"page=1.5", "page"},
		{"page=99999999999999999999", "page"},
		{"page=101&size=100", "page"},
		{"page=1001", "page"},
		{"page=4611686018427387904&size=4", "page"}, // page × size overflows int64
		{"page=9223372036854775807&size=100", "page"},
		{"date_from=2025-13-01", "date_from"},
		{"date_from=2025-4-4", "date_from"},
		{"date_from=yesterday", "date_from"},
		{"date_to=2025-02-30", "date_to"},
		{"date_to=20250401", "date_to"},
		{"date_from=2025-05-01&date_to=2025-04-01", "date_from"},
		{"sort=score", "sort"},
		{"explain=yes", "explain"},
		{"explain=1&explain=0", "explain"},
		{"sort=DATE", "sort"},
		{"type=video", "type"},
		{"type=Article", "type"},
		{"q=" + strings.Repeat("医", MaxQueryRunes+1), "q"},
		{"q=" + strings.Repeat("a", MaxQueryRunes+1), "q"},
		{"q=%ff%fe", "q"},
		{"q=%E5%8C", "q"}, // a cut-off character
		{"province=%ff", "province"},
		{"topic=ok&topic=%c3", "topic"},
		{"q=a&q=b", "q"},
		{"sort=date&sort=relevance", "sort"},
		{"page=1&page=2", "page"},
		{"type=article&type=related", "type"},
		{"date_from=2025-01-01&date_from=2025-01-02", "date_from"},
		{repeatParam("province", "广西", MaxFilterValues+1), "province"},
		{repeatParam("city", "南宁", MaxFilterValues+1), "city"},
		{repeatParam("topic", "医保", MaxFilterValues+1), "topic"},
		{"province=" + strings.Repeat("省", 51), "province"},
	}
	for _, c := range cases {
		t.Run(c.query[:min(len(c.query), 60)], func(t *testing.T) {
			v, err := url.ParseQuery(c.query)
			if err != nil {
				t.Fatalf("bad test query: %v", err)
			}
			_, err = ParseRequest(v)
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("ParseRequest(%s) = %v, want a *RequestError", c.query, err)
			}
			if re.Param != c.param {
				t.Errorf("error names %q (%v), want %q", re.Param, err, c.param)
			}
			if !strings.HasPrefix(err.Error(), c.param+": ") || re.Message == "" {
				t.Errorf("message %q does not start with the parameter", err)
			}
		})
	}
}

func TestParseRequestValid(t *testing.T) {
	cases := []struct {
		query string
		want  Request
	}{
		{"", Request{Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"q=++医保卡+跨省++&size=&page=", Request{Query: "医保卡 跨省", Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"q=" + strings.Repeat("医", MaxQueryRunes), Request{Query: strings.Repeat("医", MaxQueryRunes), Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"size=100&page=100&sort=date&type=related", Request{Sort: SortDate, Type: "related", Page: 100, Size: 100}},
		{"size=1&page=10000", Request{Sort: SortRelevance, Page: 10000, Size: 1}},
		{"sort=relevance&type=article", Request{Sort: SortRelevance, Type: "article", Page: 1, Size: DefaultPageSize}},
		{"date_from=2025-04-04&date_to=2025-04-04", Request{DateFrom: "2025-04-04", DateTo: "2025-04-04", Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"date_from=2024-02-29", Request{DateFrom: "2024-02-29", Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{
			"province=广西&province=+广西+&province=&province=北京&city=南宁&topic=医保&topic=异地就医",
			Request{Provinces: []string{"广西", "北京"}, Cities: []string{"南宁"}, Topics: []string{"医保", "异地就医"}, Sort: SortRelevance, Page: 1, Size: DefaultPageSize},
		},
		{repeatParam("province", "广西", MaxFilterValues), Request{Provinces: []string{"广西"}, Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"explain=1&q=x", Request{Query: "x", Explain: true, Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"explain=false&q=x", Request{Query: "x", Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		{"unknown=1&q=x", Request{Query: "x", Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
		// query syntax is just text to the parser
		{"q=%2B医保+-卡+title%3Ax+%22abc", Request{Query: `+医保 -卡 title:x "abc`, Sort: SortRelevance, Page: 1, Size: DefaultPageSize}},
	}
	for _, c := range cases {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatalf("bad test query %q: %v", c.query, err)
		}
		got, err := ParseRequest(v)
		if err != nil {
			t.Errorf("ParseRequest(%s): %v", c.query, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseRequest(%s) =\n%+v, want\n%+v", c.query, got, c.want)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	r := Request{Page: 1, Size: 10}
	if err := r.Validate(); err != nil || r.Sort != SortRelevance {
		t.Errorf("Validate of a minimal request: %v, sort %q", err, r.Sort)
	}
	for _, c := range []struct {
		req   Request
		param string
	}{
		{Request{}, "page"},
		{Request{Page: 1}, "size"},
		{Request{Page: 1, Size: 10, Query: "\xff"}, "q"},
		{Request{Page: 1, Size: 10, Provinces: make([]string, MaxFilterValues+1)}, "province"},
		{Request{Page: 1, Size: 10, DateTo: "2025-1-1"}, "date_to"},
	} {
		err := c.req.Validate()
		var re *RequestError
		if !errors.As(err, &re) || re.Param != c.param {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", c.req, err, c.param)
		}
	}
}

// Dates outside what Unix nanoseconds hold are refused, not wrapped round.
func TestParseRequestDateRange(t *testing.T) {
	for _, tc := range []struct {
		v  url.Values
		ok bool
	}{
		{url.Values{"date_to": {"3000-01-01"}}, false},
		{url.Values{"date_from": {"1500-01-01"}}, false},
		{url.Values{"date_from": {"1678-01-01"}, "date_to": {"2262-04-10"}}, true},
		{url.Values{"date_from": {"2025-01-01"}}, true},
	} {
		if _, err := ParseRequest(tc.v); (err == nil) != tc.ok {
			t.Errorf("%v: error %v, want ok %v", tc.v, err, tc.ok)
		}
	}
	if res := doSearch(t, Request{DateFrom: "1678-01-01", DateTo: "2262-04-10"}); res.Total != doSearch(t, Request{}).Total {
		t.Errorf("the widest date range finds %d, not everything", res.Total)
	}
}
