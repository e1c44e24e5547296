package analysis

import (
	"testing"
	"time"
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

// BenchmarkTokenizerVsGseCut alternates the tokenizer and bare gse Cut on the
// same text and reports both throughputs and their ratio: interleaving keeps
// a busy machine's drift out of the comparison that separate benchmarks suffer.
func BenchmarkTokenizerVsGseCut(b *testing.B) {
	text := benchText(b)
	seg, _ := Segmenter()
	tk, err := NewTokenizer(true)
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(text)
	var tokTime, gseTime time.Duration
	for b.Loop() {
		start := time.Now()
		tk.Tokenize(input)
		mid := time.Now()
		seg.Cut(text, false)
		tokTime += mid.Sub(start)
		gseTime += time.Since(mid)
	}
	mb := float64(len(input)) * float64(b.N) / 1e6
	b.ReportMetric(mb/tokTime.Seconds(), "tokenizer-MB/s")
	b.ReportMetric(mb/gseTime.Seconds(), "gse-Cut-MB/s")
	b.ReportMetric(gseTime.Seconds()/tokTime.Seconds(), "tokenizer/gse")
}
