package indexer

import (
	"context"
	"path/filepath"
	"testing"

	"healthsearch/analysis"
)

func BenchmarkBuildSeeds(b *testing.B) {
	if _, err := analysis.SharedDict(); err != nil {
		b.Fatal(err)
	}
	src := filepath.Join("..", "seeds")
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		sum, err := Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Docs()), "docs/op")
	}
}
