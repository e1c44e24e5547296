package indexer

import (
	"github.com/blevesearch/bleve/v2"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
)

// bigramFrequencies must count what the bigram analyzer and
// bleveanalysis.TokenFrequency count, whenever it accepts a text.
func TestBigramFrequencies(t *testing.T) {
	an := bigramAnalyzer(t)
	opts := NewMapping().DefaultMapping.Properties[FieldBody].Fields[1].Options()
	if opts.IncludeTermVectors() {
		t.Fatal("the bigram field keeps term vectors")
	}
	var texts []string
	files, _ := filepath.Glob(filepath.Join(buildSeedsDir, "*.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
		texts = append(texts, strings.Split(string(data), "\n")...)
	}
	// Every class of character the fast path knows, its neighbours and
	// some it does not know, in random strings.
	var alphabet []rune
	for r := rune(0); r < 0x80; r++ {
		alphabet = append(alphabet, r)
	}
	alphabet = append(alphabet, []rune("医保卡跨省就医備案國體檢的一了")...)
	alphabet = append(alphabet, 0x3400, 0x4DB5, 0x4DB6, 0x4E00, 0x9FA5, 0x9FA6, 0x9FCC, 0xF900, 0x20000, 0x3007)
	alphabet = append(alphabet, []rune("。、《》〈〉「」『』【】〔〕“”…—–，：；．！？（）＇ＡＺａ１·‘’・ーカタかなㄅ한\u00a0\u200b\u3000\ufeff\u0301é")...)
	var known []rune
	for _, r := range alphabet {
		if bigramClass(analysis.NewFolder().Rune(r)) != bgUnknown {
			known = append(known, r)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40000; i++ {
		from := alphabet
		if i%2 == 0 {
			from = known
		}
		rs := make([]rune, 1+rng.IntN(12))
		for j := range rs {
			rs[j] = from[rng.IntN(len(from))]
		}
		texts = append(texts, string(rs))
	}
	texts = append(texts, "", "医", "a", "3.5", "a.b", "a:b", "1:2", "1,000", "a,b", "don't", "a1.b", "1.a", "医保2025年covid-19病毒。")
	accepted := 0
	for _, text := range texts {
		got, n, ok := bigramFrequencies([]byte(text), opts)
		if !ok {
			continue
		}
		accepted++
		tokens := an.Analyze([]byte(text))
		want := bleveanalysis.TokenFrequency(tokens, nil, opts)
		if n != len(tokens) || !sameFrequencies(got, want) {
			t.Fatalf("%q: %d tokens %v, analyzer %d %v", text, n, freqString(got), len(tokens), freqString(want))
		}
	}
	if accepted < len(texts)/2 {
		t.Errorf("only %d of %d texts took the fast path", accepted, len(texts))
	}
	t.Logf("%d of %d texts compared", accepted, len(texts))
}

func sameFrequencies(a, b index.TokenFrequencies) bool {
	if len(a) != len(b) {
		return false
	}
	for k, ta := range a {
		tb, ok := b[k]
		if !ok || string(ta.Term) != string(tb.Term) || ta.Frequency() != tb.Frequency() || len(ta.Locations) != len(tb.Locations) {
			return false
		}
	}
	return true
}

func freqString(f index.TokenFrequencies) string {
	var b strings.Builder
	for k, tf := range f {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteByte(byte('0' + tf.Frequency()%10))
		b.WriteByte(' ')
	}
	return b.String()
}

func bigramAnalyzer(t testing.TB) bleveanalysis.Analyzer {
	t.Helper()
	an, err := bleve.Config.Cache.AnalyzerNamed(analysis.BigramAnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	return an
}
