package indexer

import (
	"context"
	"path/filepath"
	"testing"
)

// The tokenizer and bare gse run on the same seed text in one goroutine with
// SetBytes, so their MB/s compare directly (the target: the tokenizer
// at least 70% of gse's Cut). gse's numbers are for Han runs and Latin text
// alike, as it cuts them; the tokenizer also folds, tracks offsets and emits
// sub-words.

func benchText(b *testing.B) string {
	b.Helper()
	text := seedText(b)
	if _, err := Segmenter(); err != nil {
		b.Fatal(err)
	}
	return text
}

func BenchmarkTokenizer(b *testing.B) {
	text := benchText(b)
	tk, err := NewTokenizer(true)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(text)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if len(tk.Tokenize(input)) == 0 {
			b.Fatal("no tokens")
		}
	}
}

func BenchmarkTokenizerNoSubwords(b *testing.B) {
	text := benchText(b)
	tk, err := NewTokenizer(false)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(text)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		tk.Tokenize(input)
	}
}

// BenchmarkAnalyzer is the tokenizer plus the lower-case and fold filters,
// as bleve runs it on a field.
func BenchmarkAnalyzer(b *testing.B) {
	text := benchText(b)
	an := namedAnalyzer(b, AnalyzerName)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		an.Analyze([]byte(text))
	}
}

func BenchmarkGseCut(b *testing.B) {
	text := benchText(b)
	seg, _ := Segmenter()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		seg.Cut(text, false)
	}
}

func BenchmarkGseCutSearch(b *testing.B) {
	text := benchText(b)
	seg, _ := Segmenter()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		seg.CutSearch(text, false)
	}
}

func BenchmarkBuildSeeds(b *testing.B) {
	if _, err := Segmenter(); err != nil {
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
