package indexer

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"healthsearch/analysis"
)

// BenchmarkBuildPaths measures, in one run on the same documents, the
// build's hand-written offline path (offline.go) against bleve's public
// ways to write a one-segment index: its offline Builder (bleve.NewBuilder,
// which analyses and encodes under one lock) and batches followed by a
// forced merge. Pages come from PAGES_DIR (the generated corpus:
// PAGES_DIR=$PWD/.cache/corpus go test ./indexer -run XXX -bench
// BuildPaths -benchtime 1x), else the seeds.
func BenchmarkBuildPaths(b *testing.B) {
	src := os.Getenv("PAGES_DIR")
	if src == "" {
		src = buildSeedsDir
	}
	if _, err := analysis.SharedDict(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var docs []Document
	buildDocHook = func(d *Document) {
		mu.Lock()
		docs = append(docs, *d)
		mu.Unlock()
	}
	// The documents, and the warm-up: page cache, dictionary.
	if _, err := Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	buildDocHook = nil
	b.Logf("%d documents from %s", len(docs), src)

	b.Run("offline", func(b *testing.B) {
		for b.Loop() {
			if _, err := Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: b.TempDir(), Workers: runtime.NumCPU()}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bleve-builder", func(b *testing.B) {
		for b.Loop() {
			bl, err := bleve.NewBuilder(filepath.Join(b.TempDir(), "idx"), NewMapping(), map[string]any{"batchSize": 1000})
			if err != nil {
				b.Fatal(err)
			}
			// Parsing is not the builder's: it gets the parsed documents,
			// and still takes the longer.
			for i := range docs {
				if err := bl.Index(docs[i].ID, &docs[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := bl.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batches+forcemerge", func(b *testing.B) {
		for b.Loop() {
			idx, err := bleve.New(filepath.Join(b.TempDir(), "idx"), NewMapping())
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for lo := 0; lo < len(docs); lo += 1000 {
				batch := idx.NewBatch()
				for i := lo; i < min(lo+1000, len(docs)); i++ {
					if err := batch.Index(docs[i].ID, &docs[i]); err != nil {
						b.Fatal(err)
					}
				}
				if err := idx.Batch(batch); err != nil {
					b.Fatal(err)
				}
			}
			batched := time.Since(start)
			forceMergeOne(b, idx)
			b.ReportMetric(batched.Seconds(), "s-batches")
			if err := idx.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
