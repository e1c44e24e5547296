package analysis

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
)

// FuzzAnalyzer feeds arbitrary bytes to the registered analyzers, as bleve
// does with a page's text at index time and a visitor's query at search
// time. The seed corpus is in testdata/fuzz/FuzzAnalyzer; run it with
//
//	go test ./indexer -run '^$' -fuzz '^FuzzAnalyzer$' -fuzztime 60s
func FuzzAnalyzer(f *testing.F) {
	for _, s := range []string{
		"医保卡跨省异地就医备案怎么办理",
		"醫療保險ＡＢＣ１２３ covid-19 新冠",
		"bad\xff\xfe医\xe5\x8c", // invalid and truncated UTF-8
		strings.Repeat("医保", maxHanChunk),
	} {
		f.Add([]byte(s))
	}
	words, err := bleve.Config.Cache.AnalyzerNamed(AnalyzerName)
	if err != nil {
		f.Fatal(err)
	}
	bigrams, err := bleve.Config.Cache.AnalyzerNamed(BigramAnalyzerName)
	if err != nil {
		f.Fatal(err)
	}
	tok, err := NewTokenizer(true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		input := string(data)
		// bleve's filters rewrite terms in place, in the input's bytes:
		// every call gets its own copy.
		ts := words.Analyze([]byte(input))
		checkFuzzStream(t, input, ts)
		if again := words.Analyze([]byte(input)); fuzzStreamString(again) != fuzzStreamString(ts) {
			t.Fatalf("analyzing %q twice gave different streams", input)
		}
		// The bare tokenizer's terms are the input at their offsets; the
		// filters only map runes, so the analyzer's offsets are the same.
		raw := tok.Tokenize([]byte(input))
		if len(raw) != len(ts) {
			t.Fatalf("tokenizer gave %d tokens, analyzer %d", len(raw), len(ts))
		}
		for i, tk := range raw {
			if string(tk.Term) != input[tk.Start:tk.End] {
				t.Fatalf("token %d: term %q, input at [%d:%d] is %q", i, tk.Term, tk.Start, tk.End, input[tk.Start:tk.End])
			}
			if tk.Start != ts[i].Start || tk.End != ts[i].End || tk.Position != ts[i].Position {
				t.Fatalf("token %d: tokenizer %v, analyzer %v", i, tk, ts[i])
			}
		}
		for i, tk := range bigrams.Analyze([]byte(input)) {
			if len(tk.Term) == 0 || !utf8.Valid(tk.Term) {
				t.Fatalf("bigram %d: term %q is empty or invalid UTF-8", i, tk.Term)
			}
		}
	})
}

// checkFuzzStream checks what the index and the highlighter rely on: offsets
// inside the input on character boundaries, valid non-empty terms, positions
// that start at 1 and step by one, words that do not overlap, and sub-words
// that share their parent's position and lie inside it.
func checkFuzzStream(t *testing.T, input string, ts analysis.TokenStream) {
	t.Helper()
	pos, parentStart, parentEnd := 0, 0, 0
	for i, tk := range ts {
		if tk.Start < 0 || tk.Start >= tk.End || tk.End > len(input) {
			t.Fatalf("token %d %q: offsets [%d:%d] outside the %d-byte input", i, tk.Term, tk.Start, tk.End, len(input))
		}
		if !utf8.ValidString(input[tk.Start:tk.End]) {
			t.Fatalf("token %d: offsets [%d:%d] cover invalid UTF-8 %q", i, tk.Start, tk.End, input[tk.Start:tk.End])
		}
		if len(tk.Term) == 0 || !utf8.Valid(tk.Term) {
			t.Fatalf("token %d: term %q is empty or invalid UTF-8", i, tk.Term)
		}
		switch tk.Type {
		case analysis.Ideographic, analysis.AlphaNumeric, analysis.Numeric:
		default:
			t.Fatalf("token %d %q: unexpected type %v", i, tk.Term, tk.Type)
		}
		switch tk.Position {
		case pos + 1:
			if tk.Start < parentEnd {
				t.Fatalf("token %d %q [%d:%d] overlaps the word before, ending at %d", i, tk.Term, tk.Start, tk.End, parentEnd)
			}
			pos, parentStart, parentEnd = tk.Position, tk.Start, tk.End
		case pos:
			if i == 0 || tk.Start < parentStart || tk.End > parentEnd {
				t.Fatalf("sub-word %d %q [%d:%d] outside its word [%d:%d]", i, tk.Term, tk.Start, tk.End, parentStart, parentEnd)
			}
		default:
			t.Fatalf("token %d %q: position %d after %d", i, tk.Term, tk.Position, pos)
		}
	}
}

func fuzzStreamString(ts analysis.TokenStream) string {
	var b strings.Builder
	for _, tk := range ts {
		fmt.Fprintf(&b, "%q@%d[%d:%d]%v ", tk.Term, tk.Position, tk.Start, tk.End, tk.Type)
	}
	return b.String()
}
