package search

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on a request, so no query can ask for unbounded work.
const (
	MaxQueryRunes   = 200
	DefaultPageSize = 10
	MaxPageSize     = 100
	// MaxWindow bounds page × size: deep paging costs memory per hit skipped.
	MaxWindow = 10000
	// MaxFilterValues bounds each repeatable parameter.
	MaxFilterValues = 20
)

// The dates a filter may name: those whose whole day is within the range
// of Unix nanoseconds that bleve's date fields hold.
var (
	minDate = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2262, 4, 10, 0, 0, 0, 0, time.UTC)
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortDate      = "date"
)

// Request is a validated search request.
type Request struct {
	Query     string
	Type      string // "", "article" or "related"
	Provinces []string
	Cities    []string
	Topics    []string
	DateFrom  string // YYYY-MM-DD, inclusive
	DateTo    string // YYYY-MM-DD, inclusive
	Sort      string
	Page      int // from 1
	Size      int
	// Exact turns off typo correction: the query is searched as typed
	// (the link under 「您是不是要找」 that goes back to the original).
	Exact bool
	// Explain adds to the result how the query was analysed and ranked,
	// and to each hit what it matched (explain.go).
	Explain bool
	// FuzzyPinyin lets typo and pinyin correction treat n/l, z/zh, c/ch,
	// s/sh, an/ang, en/eng and in/ing as the same sound (correct.go).
	FuzzyPinyin bool
}

// RequestError is a client error naming the parameter at fault.
type RequestError struct {
	Param   string
	Message string
}

func (e *RequestError) Error() string { return e.Param + ": " + e.Message }

func badParam(param, format string, args ...any) error {
	return &RequestError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// requestParams are the parameters ParseRequest reads. Others are ignored
// unchecked: rejecting a stray tracking parameter helps nobody, and an
// unnamed one ("&=%FF") could only be blamed on a parameter named "".
var requestParams = map[string]bool{
	"q": true, "type": true, "province": true, "city": true, "topic": true,
	"date_from": true, "date_to": true, "sort": true, "page": true, "size": true, "exact": true, "explain": true, "fuzzy_pinyin": true,
}

// ParseRequest reads a request from URL query parameters (the names of the
// HTTP API) and validates it.
func ParseRequest(v url.Values) (Request, error) {
	r := Request{Sort: SortRelevance, Page: 1, Size: DefaultPageSize}
	for name, vals := range v {
		if !requestParams[name] {
			continue
		}
		if len(vals) > MaxFilterValues {
			return r, badParam(name, "repeated %d times (at most %d)", len(vals), MaxFilterValues)
		}
		for _, s := range vals {
			if !utf8.ValidString(s) {
				return r, badParam(name, "is not valid UTF-8")
			}
		}
	}
	single := func(name string) (string, error) {
		vals := v[name]
		if len(vals) > 1 {
			return "", badParam(name, "given %d times; give it once", len(vals))
		}
		if len(vals) == 0 {
			return "", nil
		}
		return strings.TrimSpace(vals[0]), nil
	}
	var err error
	if r.Query, err = single("q"); err != nil {
		return r, err
	}
	if r.Type, err = single("type"); err != nil {
		return r, err
	}
	if r.DateFrom, err = single("date_from"); err != nil {
		return r, err
	}
	if r.DateTo, err = single("date_to"); err != nil {
		return r, err
	}
	sort, err := single("sort")
	if err != nil {
		return r, err
	}
	if sort != "" {
		r.Sort = sort
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &r.Page}, {"size", &r.Size}} {
		s, err := single(p.name)
		if err != nil {
			return r, err
		}
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return r, badParam(p.name, "%q is not a whole number", s)
		}
		*p.dst = n
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{{"exact", &r.Exact}, {"explain", &r.Explain}, {"fuzzy_pinyin", &r.FuzzyPinyin}} {
		switch s, err := single(f.name); {
		case err != nil:
			return r, err
		case s == "1" || s == "true":
			*f.dst = true
		case s != "" && s != "0" && s != "false":
			return r, badParam(f.name, "%q is not one of 1, 0, true, false", s)
		}
	}
	r.Provinces = cleanValues(v["province"])
	r.Cities = cleanValues(v["city"])
	r.Topics = cleanValues(v["topic"])
	return r, r.Validate()
}

func cleanValues(vals []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range vals {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Validate checks a request built in code the same way ParseRequest does.
func (r *Request) Validate() error {
	if !utf8.ValidString(r.Query) {
		return badParam("q", "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(r.Query); n > MaxQueryRunes {
		return badParam("q", "is %d characters long (at most %d)", n, MaxQueryRunes)
	}
	switch r.Type {
	case "", "article", "related":
	default:
		return badParam("type", "%q is not one of article, related", r.Type)
	}
	switch r.Sort {
	case "":
		r.Sort = SortRelevance
	case SortRelevance, SortDate:
	default:
		return badParam("sort", "%q is not one of relevance, date", r.Sort)
	}
	if r.Page < 1 {
		return badParam("page", "%d is not a page number (pages start at 1)", r.Page)
	}
	if r.Size < 1 || r.Size > MaxPageSize {
		return badParam("size", "%d is out of range 1..%d", r.Size, MaxPageSize)
	}
	// Divide rather than multiply: page × size overflows for huge pages,
	// and a negative product would pass and reach bleve as a negative offset.
	if r.Page > MaxWindow/r.Size {
		return badParam("page", "page %d × size %d goes past result %d; narrow the search instead", r.Page, r.Size, MaxWindow)
	}
	for _, d := range []struct{ name, val string }{{"date_from", r.DateFrom}, {"date_to", r.DateTo}} {
		if d.val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.val)
		if err != nil {
			return badParam(d.name, "%q is not a date in the form YYYY-MM-DD", d.val)
		}
		// Dates are compared as Unix nanoseconds (the doc table, bleve's
		// date fields), which hold 1678 to 2262 only: outside, a bound
		// would wrap around and filter the wrong way.
		if t.Before(minDate) || t.After(maxDate) {
			return badParam(d.name, "%s is outside %s..%s", d.val, minDate.Format(time.DateOnly), maxDate.Format(time.DateOnly))
		}
	}
	if r.DateFrom != "" && r.DateTo != "" && r.DateFrom > r.DateTo {
		return badParam("date_from", "%s is after date_to %s", r.DateFrom, r.DateTo)
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"province", r.Provinces}, {"city", r.Cities}, {"topic", r.Topics}} {
		if len(f.vals) > MaxFilterValues {
			return badParam(f.name, "has %d values (at most %d)", len(f.vals), MaxFilterValues)
		}
		for _, s := range f.vals {
			if utf8.RuneCountInString(s) > 50 {
				return badParam(f.name, "value %q is too long", s)
			}
		}
	}
	return nil
}
