package page

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const parseSeedDir = "../seeds"

// The flag is registered in init, after every package-level variable, and
// only if nobody registered it yet: other test files of this package may
// have their own -update for their goldens, and a second registration of the
// same name panics.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updatePageGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func parseSeedFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(parseSeedDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no seed pages in %s", parseSeedDir)
	}
	return files
}

func parseReadFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustParsePage(t testing.TB, data []byte) *Page {
	t.Helper()
	p, err := ParsePage(data)
	if err != nil {
		t.Fatalf("ParsePage: %v", err)
	}
	return p
}

func parsePageFile(t testing.TB, path string) *Page {
	t.Helper()
	return mustParsePage(t, parseReadFile(t, path))
}

func marshalPageJSON(t testing.TB, p *Page) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Goldens are read by people: keep <, > and & as they are.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGolden compares each seed page's parse with its checked-in JSON.
// Regenerate with: go test ./page -run TestGolden -update
func TestGolden(t *testing.T) {
	for _, path := range parseSeedFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			got := marshalPageJSON(t, parsePageFile(t, path))
			golden := filepath.Join("testdata", "golden", name+".json")
			if updatePageGoldens() {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse of %s differs from %s (run with -update after checking the diff):\n%s",
					path, golden, parseFirstDiff(string(want), string(got)))
			}
		})
	}
}

func parseFirstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, w, g)
		}
	}
	return "(no line differs)"
}

// TestGoldenSeedStructure checks what the goldens are reviewed for, so a
// careless -update cannot bless a broken parse.
func TestGoldenSeedStructure(t *testing.T) {
	type start struct{ title, first, last string }
	want := map[string]start{
		"000_59d2d8c4907ebe6a": {"医保余额能在外地使用吗", "医保余额能否在外地使用,需根据具体情况判断,主要分为以下几种情况:", "医保余额能否异地使用需结合备案、就医类型及地区政策综合判断,建议提前咨询当地医保机构确认具体操作流程。"},
		"001_6a117c224b11a31a": {"医保卡如何跨省使用", "医保卡跨省使用主要涉及异地就医结算和医保个人账户资金共济互转。以下是详细的步骤和注意事项:", "通过以上步骤和注意事项,你可以更好地利用医保卡进行跨省使用,确保在异地就医时能够享受到应有的医疗保障。"},
		"002_d00fd4a403dc06c7": {"医保个人账户余额在外地可以用吗", "", ""},
		"003_5be1e273cde0f948": {"长期居住异地医保怎么用", "长期居住异地医保的使用需要通过以下步骤办理和规范报销:", ""},
		"004_97e970816140e965": {"医保能在本省使用吗", "医保在本省的使用情况需要根据具体政策判断,以下是综合说明:", ""},
	}
	type key struct{ title, snippet string }
	distinct := map[key]bool{}
	for _, path := range parseSeedFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		p := parsePageFile(t, path)
		if w, ok := want[name]; ok {
			if p.Title != w.title {
				t.Errorf("%s: title %q, want %q", name, p.Title, w.title)
			}
			if w.first != "" && p.Body[0] != w.first {
				t.Errorf("%s: body starts %q, want %q", name, p.Body[0], w.first)
			}
			if w.last != "" && p.Body[len(p.Body)-1] != w.last {
				t.Errorf("%s: body ends %q, want %q", name, p.Body[len(p.Body)-1], w.last)
			}
		}
		if len(p.Warnings) > 0 {
			t.Errorf("%s: unexpected warnings %q", name, p.Warnings)
		}
		if len(p.Related) < 20 {
			t.Errorf("%s: %d related items, want at least 20", name, len(p.Related))
		}
		for _, para := range p.Body {
			for _, bad := range []string{markPreamble, "提示:本内容", markSearch, markRelated, "首页 顶部", markCategory + " 20"} {
				if strings.Contains(para, bad) {
					t.Errorf("%s: boilerplate %q in body paragraph %q", name, bad, para)
				}
			}
		}
		for _, it := range p.Related {
			if it.Title == "" || it.Snippet == "" || it.Date == "" {
				t.Errorf("%s: incomplete related item %+v", name, it)
			}
			distinct[key{it.Title, it.Snippet}] = true
		}
		if got := ArticleDate(p); got == "" || p.Date != "" {
			t.Errorf("%s: Date %q, ArticleDate %q; want no page date and a related date", name, p.Date, got)
		}
	}
	if len(distinct) != 100 {
		t.Errorf("%d distinct related items over the seeds, want 100", len(distinct))
	}
}

func TestParseSeedDetails(t *testing.T) {
	p := parsePageFile(t, filepath.Join(parseSeedDir, "000_59d2d8c4907ebe6a.txt"))
	for _, want := range []string{
		"1. 异地就医备案",
		"• 参保人去世:合法继承人可凭死亡证明提取个人账户余额。",
		"1. 备案流程:通过当地医保官网、APP或线下医保中心办理异地备案,填写身份信息及居住地证明。",
	} {
		if !slices.Contains(p.Body, want) {
			t.Errorf("body lacks paragraph %q", want)
		}
	}
	var giardia RelatedItem
	for _, it := range p.Related {
		if it.Title == "肠梨形鞭毛虫病的初期症状" {
			giardia = it
		}
	}
	for _, want := range []string{"(Giardia lamblia)引起", "感染后1-2周出现"} {
		if !strings.Contains(giardia.Snippet, want) {
			t.Errorf("snippet %q lacks %q", giardia.Snippet, want)
		}
	}

	p = parsePageFile(t, filepath.Join(parseSeedDir, "003_5be1e273cde0f948.txt"))
	last := p.Related[len(p.Related)-1]
	if last.Title != "异地医保需要每年备案吗" || !strings.HasPrefix(last.Snippet, "1年或长期有效异地医保是否需要每年备案,取决于备案类型和参保地政策。") {
		t.Errorf("last related item of seed 003 = %+v", last)
	}
	if p.Body[0] == "" || strings.HasPrefix(p.Body[0], markPreamble) {
		t.Errorf("seed 003 body starts with %q", p.Body[0])
	}
}

// TestParseMalformed runs every fixture under testdata/malformed; each must
// be listed here, so a new fixture cannot go untested.
func TestParseMalformed(t *testing.T) {
	type check func(t *testing.T, p *Page)
	cases := map[string]struct {
		err   error
		check check
	}{
		"empty.txt":           {err: ErrEmpty},
		"whitespace_only.txt": {err: ErrEmpty},
		"binary.png":          {err: ErrBinary},
		"title_only.txt":      {err: ErrNoBody},
		"truncated_related.txt": {check: func(t *testing.T, p *Page) {
			last := p.Related[len(p.Related)-1]
			if last.Title != "医保卡余额怎么交农村医疗保险" || last.Date != "" || !strings.HasPrefix(last.Snippet, "使用医保卡余额为家人交农村医疗保险的步骤如下:") {
				t.Errorf("last item = %+v", last)
			}
			if len(p.Related) != 17 {
				t.Errorf("%d related items, want 17", len(p.Related))
			}
			wantPageWarning(t, p, "has no date line (truncated page?)")
		}},
		"bad_date.txt": {check: func(t *testing.T, p *Page) {
			if len(p.Related) != 20 {
				t.Fatalf("%d related items, want 20", len(p.Related))
			}
			if it := p.Related[1]; it.Date != "" || it.Title != "2025年海南琼海声音低沉在线问诊推荐哪个医院" {
				t.Errorf("item with bad date = %+v", it)
			}
			if p.Related[0].Date != "2025-05-13" || p.Related[2].Date != "2025-05-13" {
				t.Errorf("neighbours lost their dates: %+v %+v", p.Related[0], p.Related[2])
			}
			wantPageWarning(t, p, `bad date "2025-13-45"`)
			if got := ArticleDate(p); got != "2025-05-13" {
				t.Errorf("ArticleDate = %q", got)
			}
		}},
		"no_related.txt": {check: func(t *testing.T, p *Page) {
			if len(p.Related) != 0 || len(p.Body) != 23 || ArticleDate(p) != "" {
				t.Errorf("body %d paragraphs, %d related, date %q", len(p.Body), len(p.Related), ArticleDate(p))
			}
			if last := p.Body[len(p.Body)-1]; strings.HasPrefix(last, "提示") {
				t.Errorf("disclaimer kept in body: %q", last)
			}
		}},
		"no_tip.txt": {check: func(t *testing.T, p *Page) {
			want := mustParsePage(t, parseReadFile(t, filepath.Join(parseSeedDir, "002_d00fd4a403dc06c7.txt")))
			if !reflect.DeepEqual(p, want) {
				t.Errorf("page without 提示 line differs from the original:\n%s", parseFirstDiff(string(marshalPageJSON(t, want)), string(marshalPageJSON(t, p))))
			}
		}},
		"gb18030_000.txt": {check: func(t *testing.T, p *Page) {
			samePageAsSeed(t, p, "000_59d2d8c4907ebe6a.txt", "decoded from GB18030")
		}},
		"bom_crlf_003.txt": {check: func(t *testing.T, p *Page) {
			samePageAsSeed(t, p, "003_5be1e273cde0f948.txt")
		}},
		"script_tags.txt": {check: func(t *testing.T, p *Page) {
			// Escaping is the renderer's job; the parser keeps the text.
			if p.Title != "<script>alert(1)</script>医保卡" {
				t.Errorf("title %q", p.Title)
			}
			if len(p.Body) != 1 || p.Body[0] != `正文第一段<script>alert(1)</script>,<b>粗体</b> & "引号"` {
				t.Errorf("body %q", p.Body)
			}
			want := []RelatedItem{{Title: "<img src=x onerror=alert(1)>", Snippet: "摘要<i>斜体</i>", Date: "2025-04-04"}}
			if !reflect.DeepEqual(p.Related, want) {
				t.Errorf("related %+v", p.Related)
			}
		}},
		"related_quirks.txt": {check: func(t *testing.T, p *Page) {
			want := []RelatedItem{
				{Title: "医保卡跨省使用", Date: "2025-04-04"},
				{Title: "异地医保是否需要每年备案,", Snippet: "长期居住备案通常长期有效,临时外出就医备案一般6个月有效", Date: "2025-04-05"},
				{Title: "门诊报销比例", Snippet: "门诊报销比例因地区而异", Date: "2025-04-06"},
				{Title: "住院押金能退吗", Snippet: "押金在出院结算时多退少补"},
			}
			if !reflect.DeepEqual(p.Related, want) {
				t.Errorf("related:\n got  %+v\n want %+v", p.Related, want)
			}
			if len(p.Body) != 1 || p.Title != "异地就医备案怎么办理" {
				t.Errorf("title %q body %q", p.Title, p.Body)
			}
			wantPageWarning(t, p, "has no snippet")
			wantPageWarning(t, p, "date line without a related item")
			wantPageWarning(t, p, "has no date line")
			if len(p.Warnings) != 3 {
				t.Errorf("warnings %q, want 3", p.Warnings)
			}
		}},
		"tip_in_body.txt": {check: func(t *testing.T, p *Page) {
			want := []string{"提示:转氨酶偏高说明肝细胞可能受损。", "建议复查并咨询医生。"}
			if !reflect.DeepEqual(p.Body, want) || len(p.Related) != 1 {
				t.Errorf("body %q, %d related", p.Body, len(p.Related))
			}
		}},
	}

	entries, err := os.ReadDir(filepath.Join("testdata", "malformed"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		seen[name] = true
		c, ok := cases[name]
		if !ok {
			t.Errorf("fixture %s has no test case", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			p, err := ParsePage(parseReadFile(t, filepath.Join("testdata", "malformed", name)))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				if err.Error() == c.err.Error() {
					t.Errorf("error %q carries no detail", err)
				}
				if p != nil && !errors.Is(err, ErrNoBody) {
					t.Errorf("page %+v returned with error", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPageInvariants(t, p)
			c.check(t, p)
		})
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("fixture %s missing", name)
		}
	}
}

func wantPageWarning(t *testing.T, p *Page, substr string) {
	t.Helper()
	for _, w := range p.Warnings {
		if strings.Contains(w, substr) {
			return
		}
	}
	t.Errorf("no warning containing %q in %q", substr, p.Warnings)
}

// samePageAsSeed checks that a re-encoded copy parses to the seed's Page, with
// exactly the given warnings.
func samePageAsSeed(t *testing.T, p *Page, seed string, warnings ...string) {
	t.Helper()
	want := parsePageFile(t, filepath.Join(parseSeedDir, seed))
	if !slices.Equal(p.Warnings, warnings) {
		t.Errorf("warnings %q, want %q", p.Warnings, warnings)
	}
	got := *p
	got.Warnings = want.Warnings
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("copy differs from %s:\n%s", seed, parseFirstDiff(string(marshalPageJSON(t, want)), string(marshalPageJSON(t, &got))))
	}
}

// checkPageInvariants holds for every successfully parsed page.
func checkPageInvariants(t testing.TB, p *Page) {
	t.Helper()
	if p.Title == "" {
		t.Error("empty title")
	}
	strs := append([]string{p.Title, p.Date}, p.Body...)
	strs = append(strs, p.Warnings...)
	for _, it := range p.Related {
		if it.Title == "" {
			t.Errorf("related item without title: %+v", it)
		}
		if it.Date != "" && len(it.Date) != len("2006-01-02") {
			t.Errorf("related date %q", it.Date)
		}
		strs = append(strs, it.Title, it.Snippet, it.Date)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s)
		}
		if strings.ContainsAny(s, "\r\x00") {
			t.Errorf("CR or NUL in %q", s)
		}
	}
	for _, s := range append([]string{p.Title}, p.Body...) {
		if s == "" || strings.ContainsRune(s, '\n') || s != strings.TrimSpace(s) {
			t.Errorf("paragraph %q is empty, multi-line or untrimmed", s)
		}
	}
}

func TestParseInline(t *testing.T) {
	tests := []struct {
		name, in string
		err      error
		body     []string
		related  int
		warning  string
	}{
		{name: "title only with disclaimer", in: "标题\n\n提示:本内容不能代替面诊。\n", err: ErrNoBody},
		{name: "header as first line", in: "相关推荐\n\n标题\n\n摘要\n\n健康新闻 2025-01-01", err: ErrNoTitle},
		{name: "date as first line", in: "健康新闻 2025-01-01\n正文", err: ErrNoTitle},
		{name: "body only", in: "标题\n正文一\n正文二", body: []string{"正文一", "正文二"}},
		{name: "preamble dropped", in: "标题\n" + markPreamble + ",仅供参考。\n正文", body: []string{"正文"}},
		{name: "spaced disclaimer", in: "标题\n正文\n提示 :本内容不能代替面诊\n相关推荐\nA\nB\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1},
		{name: "bare date lines", in: "标题\n正文\n相关推荐\nA\nB\n2025-01-02\nC\nD\n2025年1月3日", body: []string{"正文"}, related: 2},
		{name: "full-width disclaimer colon", in: "标题\n正文\n提示：本内容不能代替面诊\n相关推荐\nA\nB\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1},
		{name: "unknown disclaimer before header", in: "标题\n正文\n提示:请遵医嘱\n大家都在搜\n相关推荐\nA\nB\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1},
		{name: "stray text after disclaimer", in: "标题\n正文\n提示:本内容不能代替面诊\n多余的一行\n相关推荐\nA\nB\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1, warning: "ignored 1 line(s) after the 提示 line"},
		{name: "lost header", in: "标题\n正文\n提示:本内容不能代替面诊\n\nA\n\nB\n\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1, warning: "no 相关推荐 line"},
		{name: "category-like title", in: "标题\n正文\n相关推荐\n健康新闻联播\n摘要\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1},
		{name: "date line without date", in: "标题\n正文\n相关推荐\nA\nB\n健康新闻", body: []string{"正文"}, related: 1, warning: "date line has no date"},
		{name: "merged items", in: "标题\n正文\n相关推荐\nA\n\nB\n\nC\n\nD\n\n健康新闻 2025-01-02", body: []string{"正文"}, related: 1, warning: "spans 4 paragraphs"},
		{name: "footer and search in body", in: "标题\n大家都在搜\n正文\n首页 顶部", body: []string{"正文"}},
		{name: "ideographic spaces", in: "\u3000标题\u3000\n\u3000\u3000正文 一\u00a0段", body: []string{"正文一段"}},
		{name: "only related items", in: "标题\n相关推荐\nA\nB\n健康新闻 2025-01-02", err: ErrNoBody, related: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePage([]byte(tc.in))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if tc.related > 0 && (p == nil || len(p.Related) != tc.related) {
					t.Errorf("ErrNoBody page = %+v, want %d related items", p, tc.related)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkPageInvariants(t, p)
			if !slices.Equal(p.Body, tc.body) {
				t.Errorf("body %q, want %q", p.Body, tc.body)
			}
			if len(p.Related) != tc.related {
				t.Errorf("%d related items, want %d: %+v", len(p.Related), tc.related, p.Related)
			}
			if tc.warning != "" {
				wantPageWarning(t, p, tc.warning)
			} else if len(p.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", p.Warnings)
			}
		})
	}
}

func TestParseRelatedDates(t *testing.T) {
	tests := []struct{ line, want string }{
		{"健康新闻 2025-04-04", "2025-04-04"},
		{"健康新闻 2025/4/4", "2025-04-04"},
		{"健康新闻 2025.04.04", "2025-04-04"},
		{"健康新闻 2025年4月4日", "2025-04-04"},
		{"健康新闻\u3000２０２５－０４－０４", "2025-04-04"},
		{"健康新闻 2025-04-04 10:30", "2025-04-04"},
		{"健康新闻2025-04-04", "2025-04-04"},
		{"2025-04-04", "2025-04-04"},
		{"健康新闻 2024-02-29", "2024-02-29"},
		{"健康新闻 2025-02-29", ""},
		{"健康新闻 2025-13-45", ""},
		{"健康新闻 0000-01-01", ""},
		{"健康新闻 20250404", ""},
	}
	for _, tc := range tests {
		p := mustParsePage(t, []byte("标题\n正文\n相关推荐\n条目\n摘要\n"+tc.line))
		if len(p.Related) != 1 || p.Related[0].Date != tc.want {
			t.Errorf("%q: related %+v, want date %q", tc.line, p.Related, tc.want)
		}
		if (tc.want == "") != (len(p.Warnings) == 1) {
			t.Errorf("%q: warnings %q", tc.line, p.Warnings)
		}
	}
}

func TestParseArticleDate(t *testing.T) {
	tests := []struct {
		name string
		p    *Page
		want string
	}{
		{"nil", nil, ""},
		{"own date wins", &Page{Date: "2024-01-01", Related: []RelatedItem{{Date: "2025-01-01"}}}, "2024-01-01"},
		{"newest related", &Page{Related: []RelatedItem{{Date: "2025-01-01"}, {Date: "2025-03-01"}, {Date: ""}, {Date: "2025-02-01"}}}, "2025-03-01"},
		{"invalid related ignored", &Page{Related: []RelatedItem{{Date: "2025-01-01"}, {Date: "2025-99-99"}, {Date: "9999"}}}, "2025-01-01"},
		{"no dates", &Page{Related: []RelatedItem{{Title: "x"}}}, ""},
	}
	for _, tc := range tests {
		if got := ArticleDate(tc.p); got != tc.want {
			t.Errorf("%s: ArticleDate = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCleanSpaces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"医保 卡", "医保卡"},
		{"跨 省", "跨省"},
		{"异地医保 是否需要每年备案 ,", "异地医保是否需要每年备案,"},
		{"备案流程 :通过", "备案流程:通过"},
		{"Giardia lamblia", "Giardia lamblia"},
		{"(Giardia lamblia )引起", "(Giardia lamblia)引起"},
		{"( x )", "(x)"},
		{"感染后 1-2周  出现", "感染后1-2周出现"},
		{"每次 0.8 g", "每次0.8 g"},
		{"APP 开通", "APP开通"},
		{"中\u3000\u3000文", "中文"},
		{"a\u00a0\u00a0b", "a b"},
		{"a\t \n b", "a b"},
		{"医保\u200b卡", "医保卡"},
		{"  前后空格  ", "前后空格"},
		{"“国家医保服务平台” APP", "“国家医保服务平台” APP"},
		{"说明 : 1. 艾灸", "说明: 1.艾灸"},
		{"价格 ￥ 100", "价格￥100"},
		{"（ 注 ）", "（注）"},
		{"🌟 重点 🌟", "🌟重点🌟"},
		{"🌟 star", "🌟 star"},
		{"ひらがな です", "ひらがなです"},
		{"한국어 문장", "한국어 문장"},
		{"10 mg / 次", "10 mg /次"},
		{"<script> alert(1) </script>", "<script> alert(1) </script>"},
		{"bad\xffbyte 医", "bad\uFFFDbyte医"},
	}
	for _, tc := range tests {
		if got := CleanSpaces(tc.in); got != tc.want {
			t.Errorf("CleanSpaces(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := CleanSpaces(CleanSpaces(tc.in)); got != tc.want {
			t.Errorf("CleanSpaces is not idempotent on %q: %q", tc.in, got)
		}
	}
}

func TestCleanParagraphKeepsListMarkers(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1. 异地就医备案", "1. 异地就医备案"},
		{"1. 1.备案手续:在计划前往", "1. 1.备案手续:在计划前往"},
		{"• 参保人去世 :合法继承人", "• 参保人去世:合法继承人"},
		{"(2) 复查 肝功能", "(2) 复查肝功能"},
		{"① 多 喝水", "① 多喝水"},
		{"- item", "- item"},
		{"一、 医保余额", "一、医保余额"},
		{"1.", "1."},
		{"• ", "•"},
	}
	for _, tc := range tests {
		if got := cleanParagraph(tc.in); got != tc.want {
			t.Errorf("cleanParagraph(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestParseCorpus parses a generated corpus when PAGES_DIR names one. The
// generator and its rows ship in corpus/; `make corpus-check` runs this
// (and the enricher's corpus test) on them, or by hand from the repo root:
//
//	python3 corpus/make_pages.py --out .cache/corpus
//	PAGES_DIR=$PWD/.cache/corpus go test ./page -run TestParseCorpus -v
//
// Every page must parse without warnings; the counts are logged.
func TestParseCorpus(t *testing.T) {
	dir := os.Getenv("PAGES_DIR")
	if dir == "" {
		t.Skip("PAGES_DIR not set")
	}
	type key struct{ title, snippet string }
	var pages, slots, bytesRead int
	distinct := map[key]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".txt") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		bytesRead += len(data)
		p, err := ParsePage(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		checkPageInvariants(t, p)
		if len(p.Warnings) > 0 {
			t.Errorf("%s: warnings %q", path, p.Warnings)
		}
		if len(p.Related) < 8 || ArticleDate(p) == "" {
			t.Errorf("%s: %d related items, date %q", path, len(p.Related), ArticleDate(p))
		}
		pages++
		slots += len(p.Related)
		for _, it := range p.Related {
			distinct[key{it.Title, it.Snippet}] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d pages (%d bytes), %d related slots, %d distinct items by title+snippet",
		dir, pages, bytesRead, slots, len(distinct))
}

func BenchmarkParsePage(b *testing.B) {
	var pages [][]byte
	total := 0
	for _, path := range parseSeedFiles(b) {
		data := parseReadFile(b, path)
		pages = append(pages, data)
		total += len(data)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range pages {
			if _, err := ParsePage(data); err != nil {
				b.Fatal(err)
			}
		}
	}
}
