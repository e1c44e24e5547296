package scorchx

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"
)

// These tests pin what this package assumes about scorch. If one fails
// after a bleve upgrade, the assumption broke: fix this package (and the
// collector's columns, the union searcher and the title reader that use
// it), do not loosen the test.

const docs = 120

// testIndex is a scorch index of docs documents added in three batches,
// so it has several segments, with one document deleted.
func testIndex(t *testing.T) (bleve.Index, index.IndexReader) {
	t.Helper()
	m := mapping.NewIndexMapping()
	m.ScoringModel = index.BM25Scoring
	idx, err := bleve.New(t.TempDir(), m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	for b := 0; b < 3; b++ {
		batch := idx.NewBatch()
		for i := b * docs / 3; i < (b+1)*docs/3; i++ {
			text := "alpha"
			if i%2 == 0 {
				text += " beta"
			}
			if err := batch.Index(fmt.Sprintf("d%03d", i), map[string]any{"text": text, "title": fmt.Sprintf("title %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := idx.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := idx.Delete("d007"); err != nil {
		t.Fatal(err)
	}
	adv, err := idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return idx, r
}

// Internal ids are 8 bytes, big-endian document numbers, increasing in
// the order readers return them; Advance to an id built by InternalID
// lands on that document or the next.
func TestInternalIDs(t *testing.T) {
	_, r := testIndex(t)
	all, err := r.DocIDReaderAll()
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	var nums []uint32
	for {
		id, err := all.Next()
		if err != nil {
			t.Fatal(err)
		}
		if id == nil {
			break
		}
		n, ok := DocNum(id)
		if !ok {
			t.Fatalf("internal id %x is not a document number", []byte(id))
		}
		if len(nums) > 0 && n <= nums[len(nums)-1] {
			t.Fatalf("document numbers not increasing: %d after %d", n, nums[len(nums)-1])
		}
		if string(InternalID(n)) != string(id) {
			t.Fatalf("InternalID(%d) = %x, want %x", n, []byte(InternalID(n)), []byte(id))
		}
		nums = append(nums, n)
	}
	if len(nums) != docs-1 {
		t.Fatalf("%d live documents, want %d", len(nums), docs-1)
	}
	// The documents with beta, in order, then Advance to each number.
	var beta []uint32
	tfr, err := r.TermFieldReader(context.Background(), []byte("beta"), "text", false, false, false)
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := tfr.Next(nil)
		if err != nil {
			t.Fatal(err)
		}
		if m == nil {
			break
		}
		n, _ := DocNum(m.ID)
		beta = append(beta, n)
	}
	tfr.Close()
	if len(beta) != docs/2 {
		t.Fatalf("%d documents with beta, want %d", len(beta), docs/2)
	}
	for _, target := range nums {
		tfr, err := r.TermFieldReader(context.Background(), []byte("beta"), "text", false, false, false)
		if err != nil {
			t.Fatal(err)
		}
		next, err := tfr.Advance(InternalID(target), nil)
		tfr.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := -1
		for _, b := range beta {
			if b >= target {
				want = int(b)
				break
			}
		}
		got := -1
		if next != nil {
			n, _ := DocNum(next.ID)
			got = int(n)
		}
		if got != want {
			t.Fatalf("Advance to %d landed on %d, want %d", target, got, want)
		}
	}
}

// VisitStored sees every live document once, under the number its
// internal id has, with its _id and stored fields.
func TestVisitStored(t *testing.T) {
	_, r := testIndex(t)
	byID := map[string]uint32{}
	titles := map[uint32]string{}
	ok, err := VisitStored(r, func(doc uint32, field string, value []byte) error {
		switch field {
		case "_id":
			byID[string(value)] = doc
		case "title":
			titles[doc] = string(value)
		}
		return nil
	})
	if !ok || err != nil {
		t.Fatalf("VisitStored: %v %v", ok, err)
	}
	if len(byID) != docs-1 || len(titles) != docs-1 {
		t.Fatalf("%d ids, %d titles, want %d", len(byID), len(titles), docs-1)
	}
	if _, deleted := byID["d007"]; deleted {
		t.Error("a deleted document was visited")
	}
	for id, doc := range byID {
		iid, err := r.InternalID(id)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := DocNum(iid); n != doc {
			t.Errorf("%s: visited as %d, internal id says %d", id, doc, n)
		}
		if want := "title " + fmt.Sprint(mustAtoi(t, id[1:])); titles[doc] != want {
			t.Errorf("%s: title %q, want %q", id, titles[doc], want)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// bleve's term searcher reads the BM25 statistics and the scoring model
// from the context keys these helpers set.
func TestContextKeys(t *testing.T) {
	_, r := testIndex(t)
	score := func(ctx context.Context) float64 {
		t.Helper()
		s, err := searcher.NewTermSearcher(ctx, r, "beta", "text", 1, bsearch.SearcherOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sctx := &bsearch.SearchContext{DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize(), 0)}
		dm, err := s.Next(sctx)
		if err != nil || dm == nil {
			t.Fatalf("no match: %v", err)
		}
		return dm.Score
	}
	base := context.Background()
	bm25 := WithScoringModel(base, index.BM25Scoring)
	tfidf := WithScoringModel(base, index.TFIDFScoring)
	if score(bm25) == score(tfidf) {
		t.Error("the scoring model key is not read: BM25 and tf-idf score alike")
	}
	few := WithBM25Stats(bm25, 1000, "text", 1)
	many := WithBM25Stats(bm25, 1000000, "text", 1)
	if score(few) == score(many) {
		t.Error("the BM25 statistics key is not read: the document count changes nothing")
	}
}
