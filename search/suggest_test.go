package search

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"healthsearch/indexer"
)

// TestSuggestSeeds checks completions on an index of the bundled seeds. One
// build serves all subtests: it is the slow part.
func TestSuggestSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an index of the seeds")
	}
	dir := t.TempDir()
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{"../seeds"}, IndexDir: dir}); err != nil {
		t.Fatalf("build: %v", err)
	}
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	suggest := func(t *testing.T, prefix string, n int) []Suggestion {
		t.Helper()
		got, err := e.Suggest(ctx, prefix, n)
		if err != nil {
			t.Fatalf("Suggest(%q): %v", prefix, err)
		}
		if got == nil {
			t.Fatalf("Suggest(%q) = nil; want an empty list for JSON []", prefix)
		}
		if len(got) > n {
			t.Fatalf("Suggest(%q, %d) gave %d", prefix, n, len(got))
		}
		seen := map[string]bool{}
		for _, s := range got {
			if seen[s.Text] {
				t.Errorf("Suggest(%q): %q twice in %v", prefix, s.Text, got)
			}
			seen[s.Text] = true
		}
		return got
	}
	texts := func(ss []Suggestion) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Text)
		}
		return out
	}
	has := func(ss []Suggestion, text, kind string) bool {
		for _, s := range ss {
			if s.Text == text && s.Kind == kind {
				return true
			}
		}
		return false
	}

	t.Run("hanzi prefix", func(t *testing.T) {
		got := suggest(t, "医保", 8)
		if len(got) != 8 {
			t.Fatalf("got %d suggestions, want 8: %v", len(got), got)
		}
		titlesDone := false
		for _, s := range got {
			if !strings.HasPrefix(s.Text, "医保") {
				t.Errorf("%q does not start with 医保", s.Text)
			}
			switch s.Kind {
			case SuggestTitle:
				if titlesDone {
					t.Errorf("title %q after a term: titles come first in %v", s.Text, texts(got))
				}
			case SuggestTerm:
				titlesDone = true
			default:
				t.Errorf("kind %q", s.Kind)
			}
		}
		if !has(got, "医保", SuggestTerm) {
			t.Errorf("no term 医保 in %v", texts(got))
		}
	})
	t.Run("title completes", func(t *testing.T) {
		got := suggest(t, "医保卡如", 5)
		if !has(got, "医保卡如何跨省使用", SuggestTitle) {
			t.Errorf("no title 医保卡如何跨省使用 in %v", got)
		}
	})
	for _, prefix := range []string{"yibao", "yb", "YiBao", "yi bao", "yi'bao", "ｙｉｂａｏ"} {
		t.Run("pinyin "+prefix, func(t *testing.T) {
			got := suggest(t, prefix, 8)
			if !has(got, "医保", SuggestTerm) {
				t.Errorf("no term 医保 in %v", texts(got))
			}
			if len(got) == 0 || got[0].Kind != SuggestTitle || !strings.HasPrefix(got[0].Text, "医保") {
				t.Errorf("first suggestion should be a 医保 title: %v", got)
			}
		})
	}
	t.Run("pinyin of a later word", func(t *testing.T) {
		got := suggest(t, "kuasheng", 8)
		if !has(got, "跨省", SuggestTerm) {
			t.Errorf("no term 跨省 in %v", texts(got))
		}
	})
	t.Run("traditional characters fold", func(t *testing.T) {
		trad, simp := suggest(t, "醫保", 8), suggest(t, "医保", 8)
		if fmt.Sprint(trad) != fmt.Sprint(simp) {
			t.Errorf("醫保 gave %v, 医保 gave %v", trad, simp)
		}
	})
	t.Run("nothing to complete", func(t *testing.T) {
		for _, prefix := range []string{"", "   ", "zzzzqx", "医保zzz", "\x00"} {
			if got := suggest(t, prefix, 8); len(got) != 0 {
				t.Errorf("Suggest(%q) = %v, want none", prefix, got)
			}
		}
		if got := suggest(t, "医保", 0); len(got) != 0 {
			t.Errorf("n=0 gave %v", got)
		}
	})
	t.Run("cap", func(t *testing.T) {
		for n := 1; n <= 4; n++ {
			if got := suggest(t, "y", n); len(got) != n {
				t.Errorf("Suggest(y, %d) gave %d: %v", n, len(got), got)
			}
		}
	})
	t.Run("terms worth completing", func(t *testing.T) {
		g := e.current.Load()
		if len(g.suggest.terms.entries) == 0 {
			t.Fatal("no terms")
		}
		stop := DefaultVocabulary()
		for _, en := range g.suggest.terms.entries {
			if utf8.RuneCountInString(en.text) < 2 || isNumber(en.text) || stop.IsStop(en.text) {
				t.Errorf("term %q should have been left out", en.text)
			}
		}
		seen := map[string]bool{}
		for _, en := range g.suggest.titles.entries {
			if seen[suggestKey(en.text)] {
				t.Errorf("title %q twice", en.text)
			}
			seen[suggestKey(en.text)] = true
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.Suggest(cctx, "医保", 5); err == nil {
			t.Error("no error for a cancelled context")
		}
	})
}

func TestSuggesterRanking(t *testing.T) {
	s := newSuggester(
		[]suggestEntry{
			{"医保卡如何跨省使用", 1},
			{"医保报销比例", 9},
			{"医院排名", 20},
			{"重庆医保异地备案", 2},
			{"一般门诊", 50},
		},
		[]suggestEntry{
			{"医保", 30}, {"医保卡", 12}, {"医疗", 40}, {"重庆", 5}, {"一般", 70},
		},
	)
	tests := []struct {
		prefix string
		n      int
		want   []string
	}{
		// Heavier first within titles, then the reserved share of terms.
		{"医", 6, []string{"医院排名", "医保报销比例", "医保卡如何跨省使用", "医疗", "医保", "医保卡"}},
		{"医", 3, []string{"医院排名", "医保报销比例", "医疗"}},
		// Titles give way to terms only for the reserved share.
		{"医保", 3, []string{"医保报销比例", "医保卡如何跨省使用", "医保"}},
		// yb is 医保 and also 一般: popularity decides.
		{"yb", 4, []string{"一般门诊", "医保报销比例", "医保卡如何跨省使用", "一般"}},
		{"yibao", 4, []string{"医保报销比例", "医保卡如何跨省使用", "医保", "医保卡"}},
		// 重 reads chong and zhong; both complete, the common reading too.
		{"chongqing", 2, []string{"重庆医保异地备案", "重庆"}},
		{"zhongqing", 2, []string{"重庆医保异地备案", "重庆"}},
		{"cq", 2, []string{"重庆医保异地备案", "重庆"}},
		{"zqyb", 2, []string{"重庆医保异地备案"}},
	}
	for _, tt := range tests {
		var got []string
		for _, sg := range s.suggest(tt.prefix, tt.n) {
			got = append(got, sg.Text)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("suggest(%q, %d) = %v, want %v", tt.prefix, tt.n, got, tt.want)
		}
	}
}

// TestSuggestPoolTopMatchesScan checks the segment-tree search against a
// plain scan of the matching range.
func TestSuggestPoolTopMatchesScan(t *testing.T) {
	titles, _ := syntheticSuggestions(3000)
	s := newSuggester(titles, nil)
	p := &s.titles
	for _, prefix := range []string{"y", "yb", "医", "2", "gx", "广西", "z", "sh"} {
		lo, hi := -1, -1
		for i, k := range p.keys {
			if strings.HasPrefix(k, prefix) {
				if lo < 0 {
					lo = i
				}
				hi = i + 1
			}
		}
		if lo < 0 {
			t.Fatalf("synthetic data has no key starting with %q", prefix)
		}
		// Best score per entry, then the entries ordered as top orders them.
		best := map[int32]int{}
		for i := lo; i < hi; i++ {
			e := p.entry[i]
			if b, ok := best[e]; !ok || p.better(int32(b), int32(i)) == int32(i) {
				best[e] = i
			}
		}
		want := len(best)
		got := p.top(prefix, 10, func(string) bool { return false })
		if len(got) != min(10, want) {
			t.Fatalf("top(%q) gave %d, want %d", prefix, len(got), min(10, want))
		}
		for i := 1; i < len(got); i++ {
			if got[i].weight > got[i-1].weight {
				t.Errorf("top(%q): %v (weight %d) after %v (weight %d)", prefix, got[i].text, got[i].weight, got[i-1].text, got[i-1].weight)
			}
		}
		// Nothing outside the answer may be heavier than its lightest entry.
		in := map[string]bool{}
		for _, g := range got {
			in[g.text] = true
		}
		lightest := got[len(got)-1].weight
		for e := range best {
			if en := p.entries[e]; !in[en.text] && en.weight > lightest {
				t.Errorf("top(%q) missed %q (weight %d > %d)", prefix, en.text, en.weight, lightest)
			}
		}
	}
}

// syntheticSuggestions makes n distinct health-question titles and the
// words they are made of, a stand-in for a full crawl (~15k titles).
func syntheticSuggestions(n int) (titles, terms []suggestEntry) {
	places := []string{"广西", "陕西", "湖南", "河北", "海南", "甘肃", "江苏", "北京", "重庆", "四川", "云南", "山东", "广东"}
	subjects := []string{"医保卡", "医保余额", "异地就医", "职工医保", "城乡居民医保", "生育保险", "门诊报销", "住院报销", "家庭共济", "个人账户"}
	asks := []string{"如何跨省使用", "能在外地用吗", "怎么备案", "报销比例是多少", "需要什么材料", "可以取现吗", "怎么查询", "有什么变化"}
	for i := 0; len(titles) < n; i++ {
		p, s, a := places[i%len(places)], subjects[(i/len(places))%len(subjects)], asks[(i/(len(places)*len(subjects)))%len(asks)]
		title := fmt.Sprintf("%d年%s%s%s", 2015+i/(len(places)*len(subjects)*len(asks)), p, s, a)
		if i%3 == 0 {
			title = p + s + a + fmt.Sprint(i)
		}
		if i%5 == 0 {
			title = s + a + fmt.Sprint(i)
		}
		titles = append(titles, suggestEntry{title, int32(1 + i%17)})
	}
	for i, w := range append(append(places, subjects...), asks...) {
		terms = append(terms, suggestEntry{w, int32(100 - i)})
	}
	return titles, terms
}

func BenchmarkSuggest(b *testing.B) {
	titles, terms := syntheticSuggestions(15000)
	start := time.Now()
	s := newSuggester(titles, terms)
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "build-ms")
	b.ReportMetric(float64(len(s.titles.keys)+len(s.terms.keys)), "keys")
	for _, prefix := range []string{"y", "医保", "yibao", "guangxi", "gx", "2020年广西"} {
		b.Run(prefix, func(b *testing.B) {
			for b.Loop() {
				if len(s.suggest(prefix, 8)) == 0 {
					b.Fatal("no suggestions")
				}
			}
		})
	}
}
