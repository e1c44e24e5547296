package enrich

import (
	"os"
	"testing"
)

// BenchmarkEnrich runs Enrich over the seed documents, or over a generated
// corpus when ENRICH_CORPUS names one, and reports throughput in MB/s of
// title + text.
func BenchmarkEnrich(b *testing.B) {
	var docs []testDoc
	if dir := os.Getenv("ENRICH_CORPUS"); dir != "" {
		docs = readPages(b, dir)
	} else {
		docs = seedDocs(b)
	}
	e := Default()
	var n int64
	for _, d := range docs {
		n += int64(len(d.title) + len(d.text))
	}
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			e.Enrich(d.title, d.text)
		}
	}
}
