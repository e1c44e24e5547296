package search

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"healthsearch/analysis"
	"healthsearch/indexer"
)

func testPlan(t *testing.T, q string) *queryPlan {
	t.Helper()
	an, err := bleve.Config.Cache.AnalyzerNamed(analysis.AnalyzerName)
	if err != nil {
		t.Fatal(err)
	}
	return planQuery(q, an, DefaultVocabulary())
}

// describe renders a plan's groups: required words as they are, optional
// ones in (), fragments in [].
func describe(p *queryPlan) []string {
	var out []string
	for _, g := range p.groups {
		switch {
		case g.fragment != "":
			out = append(out, "["+g.fragment+"]")
		case g.optional:
			out = append(out, "("+g.variants[0].text+")")
		default:
			out = append(out, g.variants[0].text)
		}
	}
	return out
}

func TestPlanQuery(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want []string
	}{
		// Question words and particles do not become required words.
		{"医保卡能在外地看病吗", []string{"医保卡", "外地", "看病"}},
		{"在外省能用医保吗", []string{"外省", "医保"}},
		{"请问一下,,医保余额 能不能 在外地用啊???", []string{"医保余额", "外地", "(用)"}},
		// A domain word stays whole; traditional characters fold.
		{"新农合报销范围", []string{"新农合", "报销范围"}},
		{"醫保卡如何跨省使用", []string{"医保卡", "跨省", "使用"}},
		// Single characters are optional; runs of them are fragments matched
		// by bigrams, stop characters inside included.
		{"肠梨形鞭毛虫病吃什么药", []string{"肠梨形鞭毛虫病", "(吃)", "(药)"}},
		{"性和阳", []string{"[性和阳]"}},
		{"乙肝 怀孕", []string{"乙肝", "怀孕"}},
		// Nothing but stop words: they are the query.
		{"怎么办", []string{"怎么办"}},
		{"药", []string{"药"}},
	} {
		if got := describe(testPlan(t, tc.q)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("planQuery(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestPlanQueryVariants(t *testing.T) {
	g := testPlan(t, "异地就医").groups[0]
	var syn, split, sub []string
	for _, v := range g.variants[1:] {
		switch {
		case v.parts != nil:
			for _, p := range v.parts {
				split = append(split, p[0])
			}
		case v.subword:
			sub = append(sub, v.text)
		default:
			syn = append(syn, v.text)
			if v.weight >= 1 {
				t.Errorf("synonym %s weighs %v, not less than the typed word", v.text, v.weight)
			}
		}
	}
	if !reflect.DeepEqual(split, []string{"异地", "就医"}) {
		t.Errorf("split = %v, want [异地 就医]", split)
	}
	for _, want := range []string{"跨省就医", "外地就医"} {
		if !contains(syn, want) {
			t.Errorf("synonyms %v lack %s", syn, want)
		}
	}
	for _, want := range []string{"异地", "就医", "外地", "就诊"} {
		if !contains(sub, want) {
			t.Errorf("sub-words %v lack %s", sub, want)
		}
	}
}

func TestSplitWord(t *testing.T) {
	for _, tc := range []struct {
		word string
		subs []string
		want []string
	}{
		{"医保余额", []string{"医保", "余额"}, []string{"医保", "余额"}},
		{"医保卡", []string{"医保"}, nil},
		{"肠梨形鞭毛虫病", []string{"梨形", "鞭毛", "鞭毛虫病"}, nil},
		{"门诊慢特病", []string{"门诊", "慢特病", "特病"}, []string{"门诊", "慢特病"}},
		{"异地", nil, nil},
	} {
		if got := splitWord(tc.word, tc.subs); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitWord(%s, %v) = %v, want %v", tc.word, tc.subs, got, tc.want)
		}
	}
}

func TestRelaxations(t *testing.T) {
	for n, want := range map[int][]int{0: {0}, 1: {1}, 2: {2, 1}, 3: {3, 2, 1}, 4: {4, 2, 1}, 5: {5, 1}, 9: {9, 1}} {
		if got := relaxations(n); !reflect.DeepEqual(got, want) {
			t.Errorf("relaxations(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestRareGroups(t *testing.T) {
	for _, tc := range []struct {
		df   []uint64
		want []bool
	}{
		{[]uint64{5, 20000}, []bool{true, false}},
		{[]uint64{900, 1000, 1001}, []bool{true, true, false}},
		// All common: the rarest qualifies; a word found nowhere never does.
		{[]uint64{30000, 0, 9000}, []bool{false, false, true}},
		{[]uint64{0, 0}, []bool{false, false}},
	} {
		if got := rareGroups(tc.df, 1000); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("rareGroups(%v) = %v, want %v", tc.df, got, tc.want)
		}
	}
	if got := commonCutoff(100); got != 1000 {
		t.Errorf("commonCutoff(100) = %d, want 1000", got)
	}
	if got := commonCutoff(65443); got != 3272 {
		t.Errorf("commonCutoff(65443) = %d, want 3272", got)
	}
}

// writePage writes a page in the seeds' format with one related item.
func writePage(t *testing.T, dir, name, title, body, relTitle, relSnippet string) {
	t.Helper()
	page := title + "\n\n" + body + "\n\n提示:本内容不能代替面诊。\n相关推荐\n\n" +
		relTitle + "\n\n" + relSnippet + "\n\n健康新闻 2025-06-30\n"
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rankingFixture indexes a few pages built to test ranking rules.
func rankingFixture(t *testing.T) *Engine {
	t.Helper()
	src := t.TempDir()
	// Two pages differ only in 外地 / 异地. 异地 is made common, 外地 rare, so
	// an idf-weighted synonym would outscore the word typed.
	writePage(t, src, "waidi", "医保卡能在外地看病吗", "在外地看病要先办理备案手续。", "养老金怎么领取", "养老金按月发放。")
	writePage(t, src, "yidi", "医保卡能在异地看病吗", "在异地看病要先办理备案手续。", "养老金怎么计算", "养老金与缴费年限有关。")
	for i := 0; i < 8; i++ {
		writePage(t, src, fmt.Sprintf("filler%d", i), fmt.Sprintf("退休人员异地安置第%d问", i),
			"异地安置的退休人员按规定领取养老金。", fmt.Sprintf("社保缴费第%d问", i), "社保缴费按月进行。")
	}
	// An article and, on another page, a related item quoting it: the
	// teaser's title is the article's, its snippet the start of the body.
	writePage(t, src, "article", "小三阳能喂母乳吗", "小三阳的妈妈能否喂母乳,要看肝功能和病毒复制的情况,请遵医嘱。",
		"乙肝疫苗要打几针", "乙肝疫苗一般打三针。")
	writePage(t, src, "teaser", "乙肝妈妈怎么预防母婴传播", "乙肝妈妈所生的孩子出生后要尽快接种乙肝疫苗和免疫球蛋白。",
		"小三阳能喂母乳吗", "小三阳的妈妈能否喂母乳,要看肝功能")
	writePage(t, src, "fragment", "乙肝阴性和阳性的区别", "乙肝两对半检查结果分阴性和阳性。", "乙肝能治愈吗", "乙肝需要长期随访。")
	dir := t.TempDir()
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir}); err != nil {
		t.Fatal(err)
	}
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func titles(res *Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Type+":"+h.Title)
	}
	return out
}

func TestRankingRules(t *testing.T) {
	e := rankingFixture(t)
	search := func(t *testing.T, q string) *Result {
		t.Helper()
		res, err := e.Search(context.Background(), Request{Query: q, Page: 1, Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A synonym match ranks just below the exact one, whichever of the two
	// words is rarer.
	for _, tc := range []struct{ q, exact, synonym string }{
		{"外地看病", "医保卡能在外地看病吗", "医保卡能在异地看病吗"},
		{"异地看病", "医保卡能在异地看病吗", "医保卡能在外地看病吗"},
		{"医保卡在外地能看病吗", "医保卡能在外地看病吗", "医保卡能在异地看病吗"},
	} {
		t.Run("synonym/"+tc.q, func(t *testing.T) {
			res := search(t, tc.q)
			want := []string{"article:" + tc.exact, "article:" + tc.synonym}
			if got := titles(res); len(got) < 2 || !reflect.DeepEqual(got[:2], want) {
				t.Errorf("%s: got %v, want %v first", tc.q, got, want)
			}
		})
	}
	// The same through the word's own clause, without the phrase and title
	// bigrams that favour the typed word anyway: 外地 is rare here, 异地
	// common, and the synonym still ranks below every exact match.
	t.Run("synonym/idf", func(t *testing.T) {
		plan := planQuery("异地", e.an, e.vocab)
		req := bleve.NewSearchRequestOptions(groupQuery(plan.groups[0], 1), 20, 0, false)
		req.Fields = []string{indexer.FieldType, indexer.FieldTitle}
		res, err := e.alias.Search(req)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, h := range res.Hits {
			if h.Fields[indexer.FieldType] == indexer.TypeArticle {
				order = append(order, h.Fields[indexer.FieldTitle].(string))
			}
		}
		if len(order) != 10 || order[len(order)-1] != "医保卡能在外地看病吗" {
			t.Errorf("articles for 异地: %v; want the 外地 one last of 10", order)
		}
	})
	// The related item that repeats the article's title collapses into the
	// article; asked for by type, it is found.
	for _, q := range []string{"小三阳能喂母乳吗", "小三阳 喂母乳", "小三阳喂母乳"} {
		t.Run("article/"+q, func(t *testing.T) {
			got := titles(search(t, q))
			if len(got) < 1 || got[0] != "article:小三阳能喂母乳吗" || slices.Contains(got, "related:小三阳能喂母乳吗") {
				t.Errorf("%s: got %v, want the article first and not its echo", q, got)
			}
			res, err := e.Search(context.Background(), Request{Query: q, Page: 1, Size: 10, Type: indexer.TypeRelated})
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(res); len(got) < 1 || got[0] != "related:小三阳能喂母乳吗" {
				t.Errorf("%s type=related: got %v, want the echo first", q, got)
			}
		})
	}
	// A fragment that gse segments differently in the text still matches.
	t.Run("fragment", func(t *testing.T) {
		if got := titles(search(t, "性和阳")); len(got) == 0 || got[0] != "article:乙肝阴性和阳性的区别" {
			t.Errorf("性和阳: got %v", got)
		}
	})
}

func TestRoundScore(t *testing.T) {
	x, y, z := 0.1, 0.2, 0.3
	a, b := (x+y)+z, x+(y+z) // equal but for the order of addition
	if a == b {
		t.Fatal("the example no longer differs in the last bits")
	}
	if roundScore(a) != roundScore(b) {
		t.Errorf("roundScore(%v) = %v, roundScore(%v) = %v", a, roundScore(a), b, roundScore(b))
	}
	for x, want := range map[float64]float64{0: 0, 0.123456789123: 0.123456789, 12345.6789012: 12345.6789, -2.5: -2.5} {
		if got := roundScore(x); got != want {
			t.Errorf("roundScore(%v) = %v, want %v", x, got, want)
		}
	}
}

// roundScore keeps nine significant digits at every magnitude, like
// rounding through Log10 and Pow.
func TestRoundScoreMagnitudes(t *testing.T) {
	for _, x := range []float64{1, 10, 100, 0.001, 999.9999999, 1000.0000001, 0.30000000000000004, 123456789.123, 9.9999999999, 1e-7 * 3, -0.0123456789012, 1e12 / 7} {
		e := math.Pow(10, 9-math.Ceil(math.Log10(math.Abs(x))))
		if want, got := math.Round(x*e)/e, roundScore(x); got != want {
			t.Errorf("roundScore(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestCollapseAnotA(t *testing.T) {
	for q, want := range map[string]string{
		"乙肝要不要治疗":  "乙肝要治疗",
		"会不会传染":    "会传染",
		"需不需要住院":   "需要住院",
		"需要不需要住院":  "需要住院",
		"乙肝严不严重":   "乙肝严重",
		"医保卡有没有余额": "医保卡有余额",
		"可不可以报销":   "可以报销",
		"高血压药用不用吃": "高血压药用吃",
		"差不多":      "差不多",
		"好不容易":     "好不容易",
		"不不":       "不不",
		"医保 报销":    "医保 报销",
		"aba不aba":  "aba不aba",
		"":         "",
	} {
		if got := collapseAnotA(q); got != want {
			t.Errorf("collapseAnotA(%q) = %q, want %q", q, got, want)
		}
	}
}

// Explain lists what each hit matched through which variant, and the
// ranking the query got; a question in the asker's words gets the question
// ranking and finds the page whose title shares its rare bigrams.
func TestExplain(t *testing.T) {
	e := rankingFixture(t)
	res, err := e.Search(context.Background(), Request{Query: "外地看病", Page: 1, Size: 10, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Explain == nil || !strings.HasPrefix(res.Explain.Ranking, "words") || len(res.Explain.Words) != 2 {
		t.Fatalf("explain: %+v", res.Explain)
	}
	if w := res.Explain.Words[0]; w.Word != "外地" || !slices.Contains(w.Synonyms, "异地") {
		t.Errorf("first word: %+v; want 外地 with the synonym 异地", w)
	}
	found := map[string]bool{}
	for _, h := range res.Hits {
		if h.Explain == nil {
			t.Fatalf("%s: no explanation", h.Title)
		}
		if h.Explain.Text <= 0 || h.Explain.Text > h.Score+1e-9 {
			t.Errorf("%s: text score %v, hit score %v", h.Title, h.Explain.Text, h.Score)
		}
		for _, m := range h.Explain.Matches {
			found[h.Title+"|"+m.Kind+"|"+m.Field+"|"+m.Term] = m.Score > 0
		}
	}
	for _, want := range []string{"医保卡能在外地看病吗|typed|title|外地", "医保卡能在异地看病吗|synonym|title|异地"} {
		if !found[want] {
			t.Errorf("no match %s in %v", want, found)
		}
	}
	plain, err := e.Search(context.Background(), Request{Query: "外地看病", Page: 1, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Explain != nil || plain.Hits[0].Explain != nil || !reflect.DeepEqual(titles(plain), titles(res)) {
		t.Errorf("without explain: %v, explain %v; want the same hits, no explanation", titles(plain), plain.Explain)
	}

	q := "我家孩子的妈妈是小三阳,想问一下可以给宝宝喂奶吗"
	res, err = e.Search(context.Background(), Request{Query: q, Page: 1, Size: 10, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Explain.Ranking != "question" || len(res.Hits) == 0 || res.Hits[0].Title != "小三阳能喂母乳吗" {
		t.Fatalf("%s: ranking %s, hits %v; want the question ranking and 小三阳能喂母乳吗 first", q, res.Explain.Ranking, titles(res))
	}
	kinds := map[string]bool{}
	for _, m := range res.Hits[0].Explain.Matches {
		kinds[m.Kind+"|"+m.Field+"|"+m.Term] = true
	}
	if !kinds["bigram|title|小三"] || !kinds["bigram|title|三阳"] {
		t.Errorf("question matches: %v; want the title bigrams 小三, 三阳", kinds)
	}
}

// Repetition is folded before planning; doubled characters, digits and
// Latin letters are not.
func TestFoldRepeats(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{strings.Repeat("的", 20), "的"},
		{strings.Repeat("病 ", 20), "病"},
		{"医保医保医保医保", "医保"},
		{"哈哈哈哈 高血压", "哈 高血压"},
		{"高血压 高血压 糖尿病", "高血压 糖尿病"},
		{"妈妈最近常常头晕", "妈妈最近常常头晕"},
		{"2000年 111 www", "2000年 111 www"},
		{"二〇〇〇年 ＷＷＷ", "二〇〇〇年 ＷＷＷ"}, // not Han: 〇 and full-width letters
		{"医保卡  跨省", "医保卡  跨省"},     // nothing folded: spacing as typed
		{"", ""},
	} {
		if got := foldRepeats(tc.in); got != tc.want {
			t.Errorf("foldRepeats(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
