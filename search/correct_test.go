package search

import (
	"net/url"
	"testing"
)

// Homophone typos and whole pinyin are corrected from the seeds index's own
// vocabulary; queries of real words are left alone.
func TestSpellerCorrect(t *testing.T) {
	g := seedEngine.current.Load()
	for _, tc := range []struct{ q, want string }{
		{"医保卡夸省", "医保卡跨省"}, // 夸 for 跨: kua
		{"异地就意", "异地就医"},   // 意 for 医: yi
		{"yibao", "医保"},    // whole pinyin
		{"yibao kuasheng", "医保 跨省"},
		{"YiBao", "医保"},
		{"yi bao", "医保"},              // syllables typed one by one
		{"yibao kuaisheng hello", ""}, // a part too long for a syllable: no joining
		{"医保卡跨省", ""},                 // real words
		{"异地就医备案", ""},
		{"潮虫", ""},
		{"hello", ""}, // letters that tile no key
		{"", ""},
	} {
		if got := g.speller.correct(tc.q, seedEngine.an, false); got != tc.want {
			t.Errorf("correct(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// A typo that finds too little is searched corrected and says so; exact=1
// searches it as typed; a query that finds enough only gets a suggestion.
func TestSearchCorrection(t *testing.T) {
	res := doSearch(t, Request{Query: "医保卡夸省"})
	if res.Corrected != "医保卡跨省" || res.Query != "医保卡夸省" || res.Total == 0 || res.Hits[0].Title != "医保卡如何跨省使用" {
		t.Errorf("typo: corrected %q, query %q, %d hits, first %v", res.Corrected, res.Query, res.Total, hitIDs(res.Hits))
	}
	exact := doSearch(t, Request{Query: "医保卡夸省", Exact: true})
	if exact.Corrected != "" || exact.DidYouMean != "" {
		t.Errorf("exact search corrected: %+v", exact)
	}
	if res := doSearch(t, Request{Query: "医保卡跨省"}); res.Corrected != "" || res.DidYouMean != "" {
		t.Errorf("real words corrected to %q / %q", res.Corrected, res.DidYouMean)
	}
	if res := doSearch(t, Request{Query: "yibao"}); res.Corrected != "医保" || res.Total == 0 {
		t.Errorf("pinyin: corrected %q, %d hits", res.Corrected, res.Total)
	}
}

// Fuzzy pinyin merges the pairs a southern speaker does not tell apart,
// only when asked: sen for sheng (s/sh, en/eng), nao for lao (n/l).
func TestSpellerFuzzyPinyin(t *testing.T) {
	g := seedEngine.current.Load()
	for _, tc := range []struct{ q, plain, fuzzy string }{
		{"yibao kuasen", "", "医保 跨省"},
		{"yibao kuasheng", "医保 跨省", "医保 跨省"}, // the exact key wins
		{"医保卡跨森", "", "医保卡跨省"},
		{"医保卡跨省", "", ""}, // real words stay
		{"hello", "", ""},
	} {
		if got := g.speller.correct(tc.q, seedEngine.an, false); got != tc.plain {
			t.Errorf("correct(%q) = %q, want %q", tc.q, got, tc.plain)
		}
		if got := g.speller.correct(tc.q, seedEngine.an, true); got != tc.fuzzy {
			t.Errorf("fuzzy correct(%q) = %q, want %q", tc.q, got, tc.fuzzy)
		}
	}
	if fuzzyKey("shengzhang") != fuzzyKey("senzan") || fuzzyKey("lao") != fuzzyKey("nao") || fuzzyKey("xin") != fuzzyKey("xing") {
		t.Error("fuzzyKey does not merge sh/s, eng/en, zh/z, ang/an, l/n, in/ing")
	}
	if fuzzyKey("xin") == fuzzyKey("xian") || fuzzyKey("bao") == fuzzyKey("pao") {
		t.Error("fuzzyKey merges sounds outside the fuzzy pairs")
	}
	res := doSearch(t, Request{Query: "医保卡跨森", FuzzyPinyin: true})
	if res.Corrected != "医保卡跨省" || res.Total == 0 {
		t.Errorf("fuzzy search: corrected %q, %d hits", res.Corrected, res.Total)
	}
	r, err := ParseRequest(url.Values{"q": {"x"}, "fuzzy_pinyin": {"1"}})
	if err != nil || !r.FuzzyPinyin {
		t.Errorf("fuzzy_pinyin=1: %v, %v", r.FuzzyPinyin, err)
	}
	if _, err := ParseRequest(url.Values{"q": {"x"}, "fuzzy_pinyin": {"on"}}); err == nil {
		t.Error("fuzzy_pinyin=on accepted")
	}
}

func TestParseRequestExact(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
		ok   bool
	}{{"1", true, true}, {"true", true, true}, {"0", false, true}, {"", false, true}, {"yes", false, false}} {
		r, err := ParseRequest(url.Values{"q": {"医保"}, "exact": {tc.v}})
		if (err == nil) != tc.ok || r.Exact != tc.want {
			t.Errorf("exact=%q: %v, %v", tc.v, r.Exact, err)
		}
	}
}
