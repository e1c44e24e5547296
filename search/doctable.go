package search

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/blevesearch/bleve/v2/numeric"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/indexer"
	"healthsearch/internal/scorchx"
)

// A generation never changes once published, so what every search needs
// per matching document (its facet values, whether it is an article, its
// date and where its id sorts) is read once when the generation opens and
// kept in arrays indexed by document number. Reading the same from doc
// values and stored fields for every hit was two fifths of a search's CPU
// on the 8× benchmark corpus: a broad query matches ~20k documents.

// docTable holds the per-document columns of one open generation.
type docTable struct {
	// size bounds the document numbers: every live document's is below it.
	size int
	live []bool
	// article marks documents of type article.
	article []bool
	// echo marks the related items whose title is an article's title
	// (titleKey): the article's teaser on other pages.
	echo []bool
	// idRank is the place of the document's id in byte order: ties in score
	// sort by it, as they sorted by _id.
	idRank []uint32
	// date is the document's date in Unix nanoseconds, noDate if it has none.
	date []int64
	// facets holds one column per facetDefs entry, in that order.
	facets []facetColumn
}

const noDate = math.MinInt64

// facetColumn lists a keyword field's values per document: the ordinals of
// document d's values (into values, which is sorted) are ords[off[d]:off[d+1]].
type facetColumn struct {
	field  string
	values []string
	off    []uint32
	ords   []uint32
}

func (c *facetColumn) of(doc uint32) []uint32 {
	return c.ords[c.off[doc]:c.off[doc+1]]
}

// postings calls fn with the number of every document containing term in field.
func postings(r index.IndexReader, field, term string, fn func(doc uint32)) error {
	tfr, err := r.TermFieldReader(context.Background(), []byte(term), field, false, false, false)
	if err != nil {
		return err
	}
	defer tfr.Close()
	var tfd index.TermFieldDoc
	for {
		d, err := tfr.Next(tfd.Reset())
		if err != nil {
			return err
		}
		if d == nil {
			return nil
		}
		n, ok := scorchx.DocNum(d.ID)
		if !ok {
			return fmt.Errorf("unexpected internal document id %x", []byte(d.ID))
		}
		fn(n)
	}
}

// terms lists the terms of field in byte order.
func terms(r index.IndexReader, field string) ([]string, error) {
	fd, err := r.FieldDict(field)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	var out []string
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			return out, nil
		}
		out = append(out, e.Term)
	}
}

// loadDocTable reads the columns of the snapshot r; docs are its
// documents in id order (readTitles).
func loadDocTable(r index.IndexReader, docs []titleDoc) (*docTable, error) {
	t := &docTable{}
	for _, d := range docs {
		t.size = max(t.size, int(d.num)+1)
	}
	t.live = make([]bool, t.size)
	t.idRank = make([]uint32, t.size)
	for rank, d := range docs {
		t.live[d.num] = true
		t.idRank[d.num] = uint32(rank)
	}

	t.article = make([]bool, t.size)
	if err := postings(r, indexer.FieldType, indexer.TypeArticle, func(doc uint32) {
		if int(doc) < t.size {
			t.article[doc] = true
		}
	}); err != nil {
		return nil, fmt.Errorf("doc table: types: %w", err)
	}

	t.echo = make([]bool, t.size)
	articleTitles := make(map[string]bool)
	for _, d := range docs {
		if t.article[d.num] {
			articleTitles[titleKey(d.title)] = true
		}
	}
	for _, d := range docs {
		if !t.article[d.num] && articleTitles[titleKey(d.title)] {
			t.echo[d.num] = true
		}
	}

	if err := t.loadDates(r); err != nil {
		return nil, fmt.Errorf("doc table: dates: %w", err)
	}
	for _, f := range facetDefs {
		c, err := loadFacetColumn(r, f.field, t.size)
		if err != nil {
			return nil, fmt.Errorf("doc table: %s: %w", f.field, err)
		}
		t.facets = append(t.facets, c)
	}
	return t, nil
}

// loadDates reads the date field's full-precision terms: bleve indexes a
// date as its Unix nanoseconds, prefix coded at several precisions, and the
// terms of shift 0 hold the exact values.
func (t *docTable) loadDates(r index.IndexReader) error {
	t.date = make([]int64, t.size)
	for i := range t.date {
		t.date[i] = noDate
	}
	dates, err := terms(r, indexer.FieldDate)
	if err != nil {
		return err
	}
	for _, term := range dates {
		pc := numeric.PrefixCoded(term)
		if shift, err := pc.Shift(); err != nil || shift != 0 {
			continue
		}
		v, err := pc.Int64()
		if err != nil {
			continue
		}
		if err := postings(r, indexer.FieldDate, term, func(doc uint32) {
			if int(doc) < t.size {
				t.date[doc] = v
			}
		}); err != nil {
			return err
		}
	}
	return nil
}

func loadFacetColumn(r index.IndexReader, field string, size int) (facetColumn, error) {
	c := facetColumn{field: field}
	vals, err := terms(r, field)
	if err != nil {
		return c, err
	}
	c.values = vals
	type pair struct{ doc, ord uint32 }
	var pairs []pair
	for i, v := range vals {
		if err := postings(r, field, v, func(doc uint32) {
			if int(doc) < size {
				pairs = append(pairs, pair{doc, uint32(i)})
			}
		}); err != nil {
			return c, err
		}
	}
	// Each document's values in value order, like its doc values.
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].doc != pairs[j].doc {
			return pairs[i].doc < pairs[j].doc
		}
		return pairs[i].ord < pairs[j].ord
	})
	c.off = make([]uint32, size+1)
	c.ords = make([]uint32, len(pairs))
	for i, p := range pairs {
		c.off[p.doc+1]++
		c.ords[i] = p.ord
	}
	for d := 1; d <= size; d++ {
		c.off[d] += c.off[d-1]
	}
	return c, nil
}

// termCount is one facet value and the number of documents having it.
type termCount struct {
	term  string
	count int
}

// top returns the values of c counted in counts, most frequent first (ties
// in value order), at most size of them: what bleve's terms facet returned.
func (c *facetColumn) top(counts []int, size int) []termCount {
	var out []termCount
	for ord, n := range counts {
		if n > 0 {
			out = append(out, termCount{c.values[ord], n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].term < out[j].term
	})
	if len(out) > size {
		out = out[:size]
	}
	return out
}

// allCounts counts the values of facet i over every document.
func (t *docTable) allCounts(i int) []int {
	c := &t.facets[i]
	counts := make([]int, len(c.values))
	for doc, live := range t.live {
		if live {
			for _, ord := range c.of(uint32(doc)) {
				counts[ord]++
			}
		}
	}
	return counts
}

// ordinals returns the set of the ordinals of vals; values the column does
// not have are left out, so a filter on them matches nothing.
func (c *facetColumn) ordinals(vals []string) map[uint32]bool {
	set := make(map[uint32]bool, len(vals))
	for _, v := range vals {
		if i, ok := slices.BinarySearch(c.values, v); ok {
			set[uint32(i)] = true
		}
	}
	return set
}

// has reports whether doc has one of the values in set.
func (c *facetColumn) has(doc uint32, set map[uint32]bool) bool {
	for _, ord := range c.of(doc) {
		if set[ord] {
			return true
		}
	}
	return false
}
