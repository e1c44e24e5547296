package search

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseRequest feeds ParseRequest the query strings a visitor can send.
// rawQuery is parsed like an HTTP request's (partial results kept, as net/url
// does for a malformed query); q, page and size are added on top, so the
// fuzzer reaches the checks past the syntax. The seed corpus is in
// testdata/fuzz/FuzzParseRequest; run it with
//
//	go test ./search -run '^$' -fuzz '^FuzzParseRequest$' -fuzztime 60s
func FuzzParseRequest(f *testing.F) {
	f.Add("q=%E5%8C%BB%E4%BF%9D&province=广西&sort=date", "医保卡", "2", "10")
	f.Add("page=100&size=100", "", "101", "100")
	f.Add("type=related&date_from=2025-01-01&date_to=2024-12-31", " ", "-1", "0")
	f.Add("topic=a&topic=a&topic=%FF", "\xff", "9223372036854775807", "2")
	f.Fuzz(func(t *testing.T, rawQuery, q, page, size string) {
		v, _ := url.ParseQuery(rawQuery)
		for name, val := range map[string]string{"q": q, "page": page, "size": size} {
			if val != "" {
				v[name] = append(v[name], val)
			}
		}
		req, err := ParseRequest(v)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T) is not a *RequestError", err, err)
			}
			if re.Param == "" || re.Message == "" {
				t.Fatalf("error %+v lacks a parameter name or message", re)
			}
			if _, given := v[re.Param]; !given || !requestParams[re.Param] {
				t.Fatalf("error names parameter %q, which is not a given request parameter", re.Param)
			}
			return
		}
		checkRequestLimits(t, req)
		again := req
		if err := again.Validate(); err != nil {
			t.Fatalf("a parsed request fails Validate: %v", err)
		}
	})
}

// checkRequestLimits asserts the limits a valid request must satisfy, the
// ones the engine relies on to bound its work.
func checkRequestLimits(t *testing.T, r Request) {
	t.Helper()
	if !utf8.ValidString(r.Query) || utf8.RuneCountInString(r.Query) > MaxQueryRunes || strings.TrimSpace(r.Query) != r.Query {
		t.Fatalf("query %q: invalid, over %d characters or untrimmed", r.Query, MaxQueryRunes)
	}
	if r.Page < 1 || r.Size < 1 || r.Size > MaxPageSize || r.Page*r.Size > MaxWindow {
		t.Fatalf("page %d × size %d outside the limits", r.Page, r.Size)
	}
	if r.Sort != SortRelevance && r.Sort != SortDate {
		t.Fatalf("sort %q", r.Sort)
	}
	if r.Type != "" && r.Type != "article" && r.Type != "related" {
		t.Fatalf("type %q", r.Type)
	}
	for _, vals := range [][]string{r.Provinces, r.Cities, r.Topics} {
		if len(vals) > MaxFilterValues {
			t.Fatalf("%d filter values (at most %d)", len(vals), MaxFilterValues)
		}
		for _, s := range vals {
			if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 50 {
				t.Fatalf("filter value %q", s)
			}
		}
	}
	for _, d := range []string{r.DateFrom, r.DateTo} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			t.Fatalf("date %q: %v", d, err)
		}
	}
	if r.DateFrom != "" && r.DateTo != "" && r.DateFrom > r.DateTo {
		t.Fatalf("date range %s..%s is backwards", r.DateFrom, r.DateTo)
	}
}
