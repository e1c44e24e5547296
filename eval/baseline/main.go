// Command baseline serves the naive setup that `make eval` measures the
// engine against: the same documents, indexed with bleve's built-in `cjk`
// analyzer (overlapping character bigrams) on every text field, and searched
// with one BM25 match query per field (any bigram may match, the title
// boosted as in the engine). No word segmentation, dictionary, synonyms,
// stop words, traditional-character folding or relaxation.
//
//	baseline --from data/index --work /tmp/baseline --addr 127.0.0.1:0
//
// It copies the documents out of an index built by `healthsearch index`
// (--from), so both engines see exactly the same documents with the same
// places, topics and dates, and answers GET /api/search (the parameters and
// JSON of the real API, as far as eval/score.py reads them) and /readyz.
// It prints "listening on http://ADDR" once it serves.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"healthsearch/indexer"
	"healthsearch/search"
)

// boostTitle matches the engine's title boost (search/query.go).
const boostTitle = 3.0

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "index directory built by `healthsearch index` to copy the documents from")
	work := fs.String("work", "", "directory for the baseline index (replaced)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *work == "" {
		return errors.New("--from and --work are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	idx, n, err := build(*from, *work)
	if err != nil {
		return err
	}
	defer idx.Close()
	fmt.Fprintf(stderr, "baseline: %d documents indexed with the cjk analyzer in %s\n", n, time.Since(start).Round(time.Millisecond))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("GET /api/search", func(w http.ResponseWriter, r *http.Request) {
		req, err := search.ParseRequest(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		res, err := searchIndex(r.Context(), idx, req)
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newMapping is the engine's mapping (indexer/mapping.go) with the cjk
// analyzer on the text fields and no bigram twins.
func newMapping() *mapping.IndexMappingImpl {
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = cjk.AnalyzerName
		f.Store = store
		f.IncludeInAll = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = true
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(indexer.FieldTitle, text(true))
	doc.AddFieldMappingsAt(indexer.FieldBody, text(false))
	doc.AddFieldMappingsAt(indexer.FieldSnippet, text(false))
	for _, f := range []string{indexer.FieldType, indexer.FieldMonth, indexer.FieldProvinces, indexer.FieldCities, indexer.FieldTopics} {
		doc.AddFieldMappingsAt(f, kw())
	}
	date := bleve.NewDateTimeFieldMapping()
	date.Store = true
	date.DocValues = true
	date.IncludeInAll = false
	doc.AddFieldMappingsAt(indexer.FieldDate, date)

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = cjk.AnalyzerName
	m.ScoringModel = "bm25"
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

var copiedFields = []string{
	indexer.FieldType, indexer.FieldTitle, indexer.FieldBody, indexer.FieldSnippet, indexer.FieldDate,
	indexer.FieldMonth, indexer.FieldProvinces, indexer.FieldCities, indexer.FieldTopics,
}

// build copies every document of the live generation under from into a
// new cjk index at work.
func build(from, work string) (bleve.Index, int, error) {
	gen, err := indexer.CurrentGeneration(from)
	if err != nil {
		return nil, 0, err
	}
	src, err := bleve.OpenUsing(gen, map[string]interface{}{"read_only": true})
	if err != nil {
		return nil, 0, fmt.Errorf("open %s: %w", gen, err)
	}
	defer src.Close()
	if err := os.RemoveAll(work); err != nil {
		return nil, 0, err
	}
	dst, err := bleve.New(work, newMapping())
	if err != nil {
		return nil, 0, fmt.Errorf("create %s: %w", work, err)
	}
	const page = 1000
	var after []string
	n := 0
	for {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), page, 0, false)
		req.Fields = copiedFields
		req.SortBy([]string{"_id"})
		if after != nil {
			req.SetSearchAfter(after)
		}
		res, err := src.Search(req)
		if err != nil {
			dst.Close()
			return nil, 0, fmt.Errorf("read documents: %w", err)
		}
		if len(res.Hits) == 0 {
			break
		}
		b := dst.NewBatch()
		for _, h := range res.Hits {
			doc := map[string]interface{}{}
			for _, f := range copiedFields {
				if v, ok := h.Fields[f]; ok {
					doc[f] = v
				}
			}
			if err := b.Index(h.ID, doc); err != nil {
				dst.Close()
				return nil, 0, err
			}
		}
		if err := dst.Batch(b); err != nil {
			dst.Close()
			return nil, 0, fmt.Errorf("index: %w", err)
		}
		n += len(res.Hits)
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
	return dst, n, nil
}

var facetFields = map[string]string{"province": indexer.FieldProvinces, "topic": indexer.FieldTopics, "date": indexer.FieldMonth}

// searchIndex answers a request with BM25 match queries, the filters of
// the request and the facets the scorer checks.
func searchIndex(ctx context.Context, idx bleve.Index, req search.Request) (*search.Result, error) {
	start := time.Now()
	var text query.Query = bleve.NewMatchAllQuery()
	if req.Query != "" {
		var qs []query.Query
		for _, f := range []struct {
			name  string
			boost float64
		}{{indexer.FieldTitle, boostTitle}, {indexer.FieldBody, 1}, {indexer.FieldSnippet, 1}} {
			m := query.NewMatchQuery(req.Query)
			m.SetField(f.name)
			m.SetBoost(f.boost)
			qs = append(qs, m)
		}
		text = query.NewDisjunctionQuery(qs)
	}
	must := []query.Query{text}
	anyOf := func(field string, vals []string) {
		if len(vals) == 0 {
			return
		}
		var qs []query.Query
		for _, v := range vals {
			t := query.NewTermQuery(v)
			t.SetField(field)
			t.SetBoost(1e-4)
			qs = append(qs, t)
		}
		must = append(must, query.NewDisjunctionQuery(qs))
	}
	if req.Type != "" {
		anyOf(indexer.FieldType, []string{req.Type})
	}
	anyOf(indexer.FieldProvinces, req.Provinces)
	anyOf(indexer.FieldCities, req.Cities)
	anyOf(indexer.FieldTopics, req.Topics)
	if req.DateFrom != "" || req.DateTo != "" {
		var from, to time.Time
		if req.DateFrom != "" {
			from, _ = time.Parse(time.DateOnly, req.DateFrom)
		}
		if req.DateTo != "" {
			to, _ = time.Parse(time.DateOnly, req.DateTo)
			to = to.Add(24*time.Hour - time.Nanosecond)
		}
		incl := true
		d := query.NewDateRangeInclusiveQuery(from, to, &incl, &incl)
		d.SetField(indexer.FieldDate)
		d.SetBoost(1e-4)
		must = append(must, d)
	}
	sreq := bleve.NewSearchRequestOptions(query.NewConjunctionQuery(must), req.Size, (req.Page-1)*req.Size, false)
	sreq.Fields = []string{indexer.FieldType, indexer.FieldTitle, indexer.FieldDate, indexer.FieldProvinces, indexer.FieldCities, indexer.FieldTopics}
	if req.Query == "" || req.Sort == search.SortDate {
		sreq.SortBy([]string{"-" + indexer.FieldDate, "-_score", "_id"})
	}
	for name, field := range facetFields {
		sreq.AddFacet(name, bleve.NewFacetRequest(field, 40))
	}
	sr, err := idx.SearchInContext(ctx, sreq)
	if err != nil {
		return nil, err
	}
	res := &search.Result{Query: req.Query, Total: sr.Total, Page: req.Page, Size: req.Size, Hits: []search.Hit{}}
	for _, h := range sr.Hits {
		title := str(h.Fields[indexer.FieldTitle])
		date := str(h.Fields[indexer.FieldDate])
		if len(date) > 10 {
			date = date[:10]
		}
		res.Hits = append(res.Hits, search.Hit{
			ID: h.ID, Type: str(h.Fields[indexer.FieldType]), Title: title, TitleHTML: html.EscapeString(title),
			Date: date, Provinces: strs(h.Fields[indexer.FieldProvinces]), Cities: strs(h.Fields[indexer.FieldCities]),
			Topics: strs(h.Fields[indexer.FieldTopics]), Score: h.Score, URL: "/articles/" + h.ID,
		})
	}
	res.Facets = search.Facets{
		Province: facetValues(sr.Facets["province"]),
		Topic:    facetValues(sr.Facets["topic"]),
		Date:     facetValues(sr.Facets["date"]),
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

func facetValues(fr *bsearch.FacetResult) []search.FacetValue {
	out := []search.FacetValue{}
	if fr != nil && fr.Terms != nil {
		for _, t := range fr.Terms.Terms() {
			out = append(out, search.FacetValue{Value: t.Term, Count: t.Count})
		}
	}
	return out
}

func str(v interface{}) string {
	switch x := v.(type) {
	case string:
		return x
	case []interface{}:
		if len(x) > 0 {
			s, _ := x[0].(string)
			return s
		}
	}
	return ""
}

func strs(v interface{}) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []interface{}:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{}
}
