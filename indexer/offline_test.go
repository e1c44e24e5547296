package indexer

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/page"
)

// The build maps documents and writes segments itself rather than through
// bleve's Index API; these tests pin that the result is what bleve makes
// of the same documents.

func TestDocMapperMatchesMapping(t *testing.T) {
	m := NewMapping()
	dm, err := newDocMapper(m)
	if err != nil {
		t.Fatal(err)
	}
	docs := []Document{
		{
			ID: "a1", Type: TypeArticle, Title: "医保卡怎么用", Body: "第一段。\n第二段 Giardia lamblia",
			Date: "2025-04-04", Month: "2025-04", Provinces: []string{"北京", "河北"}, Cities: []string{"保定"},
			Topics: []string{"医保"}, RelatedIDs: []string{"r1", "r2", "r1"}, Source: "000_x.txt",
		},
		{
			ID: "r1", Type: TypeRelated, Title: "推荐", Snippet: "摘要", Date: "2025-06-01",
			ArticleIDs: []string{"a1", "a2"},
		},
		// Empty strings are indexed and stored, empty lists are not.
		{ID: "r2"},
		{ID: "r3", Provinces: []string{}, Cities: []string{""}, Topics: []string{"", "x"}},
		// Dates the parser rejects get no date field.
		{ID: "r4", Date: "2025-13-45"},
		{ID: "r5", Date: "soon", Month: "soon"},
		{ID: "r6", Date: "2025-04-04T10:11:12Z"},
	}
	for _, p := range parsedSeeds(t) {
		docs = append(docs, Document{ID: "s", Type: TypeArticle, Title: p.Title, Body: strings.Join(p.Body, "\n"), Date: page.ArticleDate(p)})
	}
	keywordAnalyzer, bigramAnalyzer := m.AnalyzerNamed(keyword.Name), m.AnalyzerNamed(analysis.BigramAnalyzerName)
	for _, d := range docs {
		want := document.NewDocument(d.ID)
		if err := m.MapDocument(want, d); err != nil {
			t.Fatal(err)
		}
		got := dm.document(&d)
		if err := sameFields(got, want, keywordAnalyzer, bigramAnalyzer); err != nil {
			t.Errorf("document %s: %v\n got %s\nwant %s", d.ID, err, describe(got), describe(want))
			continue
		}
		// Analysed, they give the segment writer the same tokens.
		dm.analyzeDocument(got)
		want.AddIDField()
		for _, f := range want.Fields {
			if f.Options().IsIndexed() {
				f.Analyze()
				if f.Name() != "_id" {
					for _, cf := range want.CompositeFields {
						cf.Compose(f.Name(), f.AnalyzedLength(), f.AnalyzedTokenFrequencies())
					}
				}
			}
		}
		if err := sameFields(got, want, keywordAnalyzer, bigramAnalyzer); err != nil {
			t.Errorf("document %s analysed: %v", d.ID, err)
		}
		for i, f := range want.Fields {
			g := got.Fields[i]
			if !f.Options().IsIndexed() {
				continue
			}
			if g.AnalyzedLength() != f.AnalyzedLength() || !reflect.DeepEqual(g.AnalyzedTokenFrequencies(), f.AnalyzedTokenFrequencies()) {
				t.Errorf("document %s field %d (%s): analysed to %d %v, want %d %v", d.ID, i, f.Name(),
					g.AnalyzedLength(), g.AnalyzedTokenFrequencies(), f.AnalyzedLength(), f.AnalyzedTokenFrequencies())
			}
		}
		for i, f := range want.CompositeFields {
			g := got.CompositeFields[i]
			if g.AnalyzedLength() != f.AnalyzedLength() || !reflect.DeepEqual(g.AnalyzedTokenFrequencies(), f.AnalyzedTokenFrequencies()) {
				t.Errorf("document %s composite %s differs", d.ID, f.Name())
			}
		}
	}
}

// sameFields compares what the segment writer reads of two documents'
// fields. A keyword field stands for a TextField under the keyword analyzer.
func sameFields(got, want *document.Document, keywordAnalyzer, bigramAnalyzer bleveanalysis.Analyzer) error {
	if got.ID() != want.ID() || got.Indexed() != want.Indexed() {
		return fmt.Errorf("id or indexed flag differ")
	}
	if len(got.Fields) != len(want.Fields) || len(got.CompositeFields) != len(want.CompositeFields) {
		return fmt.Errorf("%d fields and %d composites, want %d and %d",
			len(got.Fields), len(got.CompositeFields), len(want.Fields), len(want.CompositeFields))
	}
	for i, w := range want.Fields {
		g := got.Fields[i]
		if g.Name() != w.Name() || g.Options() != w.Options() || !reflect.DeepEqual(g.ArrayPositions(), w.ArrayPositions()) ||
			!bytes.Equal(g.Value(), w.Value()) || g.NumPlainTextBytes() != w.NumPlainTextBytes() {
			return fmt.Errorf("field %d (%s) differs", i, w.Name())
		}
		gt, gok := g.(index.Field)
		wt, wok := w.(index.Field)
		if !gok || !wok || gt.EncodedFieldType() != wt.EncodedFieldType() {
			return fmt.Errorf("field %d (%s): type %T, want %T", i, w.Name(), g, w)
		}
		switch g := g.(type) {
		case *document.TextField:
			if wf, ok := w.(*document.TextField); !ok || g.Analyzer() != wf.Analyzer() {
				return fmt.Errorf("field %d (%s): not the same analyzer", i, w.Name())
			}
		case *keywordField:
			if wf, ok := w.(*document.TextField); !ok || wf.Analyzer() != keywordAnalyzer {
				return fmt.Errorf("field %d (%s): a keyword field for %T with another analyzer", i, w.Name(), w)
			}
		case *bigramField:
			if wf, ok := w.(*document.TextField); !ok || wf.Analyzer() != g.analyzer || g.analyzer != bigramAnalyzer {
				return fmt.Errorf("field %d (%s): a bigram field for %T with another analyzer", i, w.Name(), w)
			}
		case *document.DateTimeField:
			if _, ok := w.(*document.DateTimeField); !ok {
				return fmt.Errorf("field %d (%s): %T, want %T", i, w.Name(), g, w)
			}
		default:
			return fmt.Errorf("field %d (%s): unexpected %T", i, w.Name(), g)
		}
	}
	for i, w := range want.CompositeFields {
		g := got.CompositeFields[i]
		if g.Name() != w.Name() || g.Options() != w.Options() {
			return fmt.Errorf("composite %d differs", i)
		}
	}
	return nil
}

// describe lists a document's fields without printing the analyzers
// (their dictionaries are megabytes).
func describe(d *document.Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s indexed=%v:", d.ID(), d.Indexed())
	for _, f := range d.Fields {
		var an any
		if tf, ok := f.(*document.TextField); ok {
			an = tf.Analyzer()
		}
		fmt.Fprintf(&b, "\n  %T %s %v %v %q analyzer %p", f, f.Name(), f.Options(), f.ArrayPositions(), f.Value(), an)
	}
	for _, f := range d.CompositeFields {
		fmt.Fprintf(&b, "\n  composite %s %v", f.Name(), f.Options())
	}
	return b.String()
}

func TestBuildWritesTheIndexBleveWould(t *testing.T) {
	// A page without related items makes a build of one segment, which is
	// used as it is; the seeds make several, which are merged.
	single := t.TempDir()
	page := "没有推荐的页面\n\n正文讲医保卡的使用,2025年起异地就医。\n\n提示:本内容不能代替面诊。\n"
	if err := os.WriteFile(filepath.Join(single, "only.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name           string
		src            string
		workers, batch int
	}{
		{"one segment", single, 1, 0},
		{"two segments", buildSeedsDir, 1, 0},
		{"many segments", buildSeedsDir, 3, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var docs []Document
			buildDocHook = func(d *Document) {
				mu.Lock()
				docs = append(docs, *d)
				mu.Unlock()
			}
			dir := t.TempDir()
			buildIndexBatch(t, dir, c.workers, c.batch, c.src)
			buildDocHook = nil

			ref := referenceIndex(t, docs)
			got, want := dumpIndex(t, openLive(t, dir)), dumpIndex(t, ref)
			if len(docs) == 0 || len(want) < 100 {
				t.Fatalf("reference index of %d documents dumps to only %d lines", len(docs), len(want))
			}
			if !slices.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Errorf("built index differs from bleve's at line %d of %d/%d:\n got %q\nwant %q",
					i, len(got), len(want), got[i:min(i+3, len(got))], want[i:min(i+3, len(want))])
			}
		})
	}
}

// referenceIndex indexes docs as builds did before they wrote segments
// themselves: bleve batches, then a forced merge into one segment. (A
// merged segment is not a batch's segment: terms in one document without
// term vectors are written inline in the dictionary, which also changes
// the doc counts zap's dictionary iterator reports after them.)
func referenceIndex(t *testing.T, docs []Document) bleve.Index {
	t.Helper()
	ref, err := bleve.New(filepath.Join(t.TempDir(), "ref"), NewMapping())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	for len(docs) > 0 {
		n := min(len(docs), 10)
		batch := ref.NewBatch()
		for _, d := range docs[:n] {
			if err := batch.Index(d.ID, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := ref.Batch(batch); err != nil {
			t.Fatal(err)
		}
		docs = docs[n:]
	}
	forceMergeOne(t, ref)
	return ref
}

// forceMergeOne merges idx into a single segment, as a generation is.
func forceMergeOne(tb testing.TB, idx bleve.Index) {
	tb.Helper()
	adv, err := idx.Advanced()
	if err != nil {
		tb.Fatal(err)
	}
	opts := mergeplan.SingleSegmentMergePlanOptions
	opts.SegmentsPerMergeTask = math.MaxInt32
	if err := adv.(*scorch.Scorch).ForceMerge(context.Background(), &opts); err != nil {
		tb.Fatal(err)
	}
}

// A build whose pages are all skipped still makes an index, an empty one.
func TestBuildOfNothingIsEmptyIndex(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "empty.txt"), []byte("\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum := buildIndex(t, dir, 2, src)
	if len(sum.Skipped) != 1 || sum.Docs() != 0 {
		t.Errorf("summary %+v: want one skipped page, no documents", sum)
	}
	if n, err := openLive(t, dir).DocCount(); err != nil || n != 0 {
		t.Errorf("empty build: %d docs, %v", n, err)
	}
}

// dumpIndex lists everything a search can read from idx, by external id:
// each field's terms with their postings (frequency, norm, term vectors),
// stored fields and doc values.
func dumpIndex(t *testing.T, idx bleve.Index) []string {
	t.Helper()
	adv, err := idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ext := func(id index.IndexInternalID) string {
		s, err := r.ExternalID(id)
		check(err)
		return s
	}
	n, err := r.DocCount()
	check(err)
	fields, err := r.Fields()
	check(err)
	sort.Strings(fields)
	out := []string{fmt.Sprintf("docs %d", n), "fields " + strings.Join(fields, ",")}
	for _, f := range fields {
		if br, ok := r.(index.BM25Reader); ok {
			c, err := br.FieldCardinality(f)
			check(err)
			out = append(out, fmt.Sprintf("field %s cardinality %d", f, c))
		}
		dict, err := r.FieldDict(f)
		check(err)
		for {
			e, err := dict.Next()
			check(err)
			if e == nil {
				break
			}
			out = append(out, fmt.Sprintf("term %s %q docs %d", f, e.Term, e.Count))
			tfr, err := r.TermFieldReader(context.Background(), []byte(e.Term), f, true, true, true)
			check(err)
			var posts []string
			for {
				d, err := tfr.Next(nil)
				check(err)
				if d == nil {
					break
				}
				var vs []string
				for _, v := range d.Vectors {
					vs = append(vs, fmt.Sprintf("%s%v@%d[%d:%d]", v.Field, v.ArrayPositions, v.Pos, v.Start, v.End))
				}
				posts = append(posts, fmt.Sprintf("  %s freq %d norm %g %v", ext(d.ID), d.Freq, d.Norm, vs))
			}
			check(tfr.Close())
			sort.Strings(posts)
			out = append(out, posts...)
		}
		check(dict.Close())
	}
	ids, err := r.DocIDReaderAll()
	check(err)
	var docIDs []string
	for {
		id, err := ids.Next()
		check(err)
		if id == nil {
			break
		}
		docIDs = append(docIDs, ext(id))
	}
	check(ids.Close())
	sort.Strings(docIDs)
	dvr, err := r.DocValueReader(fields)
	check(err)
	for _, id := range docIDs {
		doc, err := r.Document(id)
		check(err)
		doc.VisitFields(func(f index.Field) {
			out = append(out, fmt.Sprintf("stored %s %s %c %v %q", id, f.Name(), f.EncodedFieldType(), f.ArrayPositions(), f.Value()))
		})
		internal, err := r.InternalID(id)
		check(err)
		var dv []string
		check(dvr.VisitDocValues(internal, func(field string, term []byte) {
			dv = append(dv, fmt.Sprintf("%s=%q", field, term))
		}))
		sort.Strings(dv)
		out = append(out, fmt.Sprintf("docvalues %s %v", id, dv))
	}
	return out
}
