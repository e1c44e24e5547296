package search

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fragText renders fragments with matches in [brackets], for comparisons.
func fragText(frags []Fragment) string {
	var b strings.Builder
	for _, f := range frags {
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return b.String()
}

func TestFragmentsHTMLEscapes(t *testing.T) {
	frags := []Fragment{
		{Text: `<script>alert("x")</script> `},
		{Text: `医保&'卡'`, Match: true},
		{Text: ` <b>"引号"</b>`},
	}
	got := FragmentsHTML(frags)
	want := `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>医保&amp;&#39;卡&#39;</mark> &lt;b&gt;&#34;引号&#34;&lt;/b&gt;`
	if got != want {
		t.Errorf("FragmentsHTML =\n%s\nwant\n%s", got, want)
	}
	if FragmentsHTML(nil) != "" {
		t.Error("no fragments should give empty HTML")
	}
}

func TestHighlightWhole(t *testing.T) {
	cases := []struct {
		needles []string
		text    string
		want    string
	}{
		{[]string{"医保卡", "跨省"}, "医保卡如何跨省使用", "[医保卡]如何[跨省]使用"},
		// longer needles first: 医保卡 is marked whole, not 医保 + 卡
		{[]string{"医保", "医保卡"}, "医保卡和医保", "[医保卡]和[医保]"},
		// repeated matches
		{[]string{"医保"}, "医保医保，医保", "[医保医保]，[医保]"},
		// a traditional query word (folded to 医保) marks simplified text,
		// and a simplified one marks traditional text in its original form
		{[]string{"醫保"}, "医保卡", "[医保]卡"},
		{[]string{"医保"}, "醫保卡", "[醫保]卡"},
		// width and case are folded too, the original characters kept
		{[]string{"abc"}, "用ＡＢＣ和Abc", "用[ＡＢＣ]和[Abc]"},
		{[]string{"火星"}, "医保卡", "医保卡"},
		{nil, "医保卡", "医保卡"},
		{[]string{"医保"}, "", ""},
	}
	for _, c := range cases {
		h := newHighlighter(c.needles)
		if got := fragText(h.whole(c.text)); got != c.want {
			t.Errorf("needles %q on %q: %s, want %s", c.needles, c.text, got, c.want)
		}
	}
}

func TestHighlightExcerpt(t *testing.T) {
	h := newHighlighter([]string{"跨省"})
	filler := strings.Repeat("这是一段没有关键词的文字。", 30) // 390 runes
	const width = 120

	t.Run("short text whole", func(t *testing.T) {
		if got := fragText(h.excerpt("医保卡跨省使用", width)); got != "医保卡[跨省]使用" {
			t.Errorf("got %s", got)
		}
	})
	t.Run("match in the middle", func(t *testing.T) {
		text := filler + "医保卡跨省使用的方法" + filler
		frags := h.excerpt(text, width)
		got := fragText(frags)
		if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
			t.Errorf("excerpt from the middle lacks … at both ends: %s", got)
		}
		if !strings.Contains(got, "[跨省]") {
			t.Errorf("excerpt misses the match: %s", got)
		}
		body := strings.TrimSuffix(strings.TrimPrefix(got, "…"), "…")
		body = strings.NewReplacer("[", "", "]", "").Replace(body)
		if n := utf8.RuneCountInString(body); n != width {
			t.Errorf("excerpt has %d runes of text, want %d", n, width)
		}
		if !strings.Contains(text, body) {
			t.Errorf("excerpt is not a piece of the text: %s", body)
		}
		// The match is near the start of the window, with some lead-in.
		if i := strings.Index(body, "跨省"); i < 0 || utf8.RuneCountInString(body[:i]) > width/2 {
			t.Errorf("match at rune %d of the excerpt, want it in the first half: %s", utf8.RuneCountInString(body[:i]), got)
		}
	})
	t.Run("match at the start", func(t *testing.T) {
		got := fragText(h.excerpt("跨省"+filler, width))
		if !strings.HasPrefix(got, "[跨省]") || !strings.HasSuffix(got, "…") {
			t.Errorf("got %s", got)
		}
	})
	t.Run("match at the end", func(t *testing.T) {
		got := fragText(h.excerpt(filler+"跨省", width))
		if !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "[跨省]") {
			t.Errorf("got %s", got)
		}
		// The window reaches back to a full width rather than stopping short.
		if n := utf8.RuneCountInString(strings.NewReplacer("…", "", "[", "", "]", "").Replace(got)); n != width {
			t.Errorf("excerpt at the end has %d runes, want %d: %s", n, width, got)
		}
	})
	t.Run("no match: the start of the text", func(t *testing.T) {
		got := fragText(h.excerpt(filler, width))
		if strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(filler, strings.TrimSuffix(got, "…")) {
			t.Errorf("got %s", got)
		}
	})
	t.Run("densest cluster wins", func(t *testing.T) {
		text := "跨省" + filler + "跨省跨省，还是跨省" + filler
		got := fragText(h.excerpt(text, width))
		if strings.Count(got, "[跨省") < 2 || strings.HasPrefix(got, "[跨省]") {
			t.Errorf("excerpt not around the cluster of matches: %s", got)
		}
	})
	t.Run("HTML stays escaped in excerpts", func(t *testing.T) {
		text := filler + `<script>alert("跨省")</script>` + filler
		out := FragmentsHTML(h.excerpt(text, width))
		if strings.Contains(out, "<script") || !strings.Contains(out, `&lt;script&gt;alert(&#34;<mark>跨省</mark>&#34;)`) {
			t.Errorf("got %s", out)
		}
	})
}

// unmark removes the <mark> tags and unescapes, giving back the text.
func unmark(s string) string {
	return html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s))
}

// Document text with markup comes back escaped in title_html and
// snippet_html, with only our <mark> tags as HTML.
func TestSearchEscapesDocumentHTML(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	title := `医保卡<script>alert("x")</script>&'说明'`
	body := `正文讲医保卡<b onclick="evil()">粗体</b> & "引号"。`
	page := title + "\n\n" + body + "\n\n提示:本内容不能代替面诊。\n相关推荐\n\n" +
		"<img src=x onerror=alert(1)>医保推荐\n\n推荐讲\"医保\"与<i>斜体</i>\n\n健康新闻 2025-04-04\n"
	if err := os.WriteFile(filepath.Join(src, "page.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir, src)
	e := mustOpen(t, dir, Options{})
	defer e.Close()
	res, err := e.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 {
		t.Fatalf("%d hits, want the article and its item", len(res.Hits))
	}
	for _, h := range res.Hits {
		for _, s := range []string{h.TitleHTML, h.SnippetHTML} {
			rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
			if strings.ContainsAny(rest, `<>"'`) {
				t.Errorf("%s: unescaped markup in %s", h.ID, s)
			}
			if !strings.Contains(s, "<mark>医保") {
				t.Errorf("%s: no mark in %s", h.ID, s)
			}
		}
		if unmark(h.TitleHTML) != h.Title {
			t.Errorf("title_html %q does not unescape to the title %q", h.TitleHTML, h.Title)
		}
	}
	var article Hit
	for _, h := range res.Hits {
		if h.Type == "article" {
			article = h
		}
	}
	if article.Title != title {
		t.Errorf("article title %q, want %q", article.Title, title)
	}
	if got := unmark(article.SnippetHTML); got != body {
		t.Errorf("article snippet %q, want %q", got, body)
	}
}

// A query in traditional characters marks the simplified text.
func TestSearchTraditionalQueryHighlights(t *testing.T) {
	res := doSearch(t, Request{Query: "醫保卡跨省"})
	if len(res.Hits) == 0 || res.Hits[0].Title != "医保卡如何跨省使用" {
		t.Fatalf("hits %v", res.Hits)
	}
	if h := res.Hits[0]; !strings.Contains(h.TitleHTML, "<mark>医保卡</mark>") || !strings.Contains(h.SnippetHTML, "<mark>") {
		t.Errorf("traditional query: title_html %q snippet_html %q", h.TitleHTML, h.SnippetHTML)
	}
}
