package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"healthsearch/indexer"
	"healthsearch/search"
)

// The attacks a page's text or a query could carry into our HTML.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
}

// xssPage is an article whose title, body and related items carry every
// payload next to words a search finds.
func xssPage() string {
	all := strings.Join(xssPayloads, " ")
	var b strings.Builder
	b.WriteString("医保报销攻击测试 " + all + "\n\n")
	for _, p := range xssPayloads {
		b.WriteString("医保报销正文 " + p + " 异地就医备案。\n\n")
	}
	b.WriteString("提示:本内容不能代替面诊。\n相关推荐\n\n")
	b.WriteString("医保推荐攻击 " + all + "\n\n推荐摘要 " + all + "\n\n健康新闻 2025-04-04\n")
	return b.String()
}

// xssHandler serves an index of the seeds plus the hostile page.
func xssHandler(t *testing.T) http.Handler {
	t.Helper()
	src, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "xss.txt"), []byte(xssPage()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range seedNames(t) {
		copyFile(t, filepath.Join("..", "seeds", name), filepath.Join(src, name))
	}
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{src}, IndexDir: dir}); err != nil {
		t.Fatal(err)
	}
	eng, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return NewHandler(eng, Options{})
}

// inertHTML checks an *_html fragment: the only markup is <mark>, so once
// the marks are gone no character that starts or ends a tag or an
// attribute is left unescaped.
func inertHTML(t *testing.T, field, s string) {
	t.Helper()
	rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
	if strings.ContainsAny(rest, `<>"'`) {
		t.Errorf("%s holds live markup: %s", field, s)
	}
}

func TestXSSInAPI(t *testing.T) {
	h := xssHandler(t)
	queries := append([]string{"医保报销攻击测试", "script alert", "img onerror", "javascript", "医保推荐攻击"}, xssPayloads...)
	found := 0
	for _, q := range queries {
		r := apiGet(t, h, "/api/search?size=20&q="+url.QueryEscape(q))
		if r.status != http.StatusOK {
			t.Fatalf("q=%s: status %d %s", q, r.status, r.body)
		}
		// JSON escapes < and > too, so no browser that sniffs the
		// response as HTML finds a tag in it.
		for _, raw := range []string{"<script", "<img", "<a "} {
			if strings.Contains(string(r.body), raw) {
				t.Errorf("q=%s: the JSON body holds a raw %q", q, raw)
			}
		}
		var res search.Result
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		for _, hit := range res.Hits {
			inertHTML(t, "title_html", hit.TitleHTML)
			inertHTML(t, "snippet_html", hit.SnippetHTML)
			if strings.Contains(hit.Title, "攻击") {
				found++
				// Escaped, not stripped: the reader sees the text.
				plain := html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(hit.TitleHTML))
				if plain != hit.Title {
					t.Errorf("title_html %q does not show the title %q", hit.TitleHTML, hit.Title)
				}
			}
		}
	}
	if found == 0 {
		t.Fatal("no search found the hostile page; the test proves nothing")
	}
}

// walkHTML calls f for every element under n.
func walkHTML(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, f)
	}
}

// checkInertPage checks a page for anything a payload could have made
// live: scripts other than our own static files, event handler attributes,
// javascript: URLs, images; and that the payload text is shown as text.
func checkInertPage(t *testing.T, target string, p page) {
	t.Helper()
	for _, raw := range []string{"<script>alert", "<img src=x", `href="javascript:`} {
		if strings.Contains(p.body, raw) {
			t.Errorf("%s: raw %q in the page", target, raw)
		}
	}
	walkHTML(p.doc, func(n *html.Node) {
		switch n.Data {
		case "script":
			if src := attr(n, "src"); !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
				t.Errorf("%s: <script src=%q> with %d children is not one of ours", target, src, len(find(n, "")))
			}
		case "img", "iframe", "object", "embed":
			t.Errorf("%s: <%s> element from document text", target, n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("%s: <%s %s=%q>: event handler attribute", target, n.Data, a.Key, a.Val)
			}
			if a.Key == "href" || a.Key == "src" || a.Key == "action" {
				if v := strings.ToLower(strings.TrimSpace(a.Val)); strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:text") {
					t.Errorf("%s: <%s %s=%q>: script URL", target, n.Data, a.Key, a.Val)
				}
			}
		}
	})
	if !strings.Contains(text(p.doc), xssPayloads[0]) {
		t.Errorf("%s: the payload is not shown as text", target)
	}
}

func TestXSSInPages(t *testing.T) {
	h := xssHandler(t)
	var articleURL, relatedURL string
	for _, q := range []string{"医保报销攻击测试", "医保推荐攻击", xssPayloads[0]} {
		target := "/search?q=" + url.QueryEscape(q)
		p := htmlPage(t, h, target, http.StatusOK)
		checkInertPage(t, target, p)
		for _, a := range find(p.doc, "a") {
			href := attr(a, "href")
			if !strings.HasPrefix(href, "/articles/") || !strings.Contains(text(a), "攻击") {
				continue
			}
			if strings.HasPrefix(href, "/articles/a") {
				articleURL = href
			} else {
				relatedURL = href
			}
		}
	}
	if articleURL == "" || relatedURL == "" {
		t.Fatalf("hostile article (%q) or related item (%q) not linked from the results", articleURL, relatedURL)
	}
	for _, target := range []string{articleURL, relatedURL} {
		checkInertPage(t, target, htmlPage(t, h, target, http.StatusOK))
	}
	// A query with no results shows suggestions and hints built from it.
	target := "/search?q=" + url.QueryEscape(xssPayloads[1]+"zzqx不存在")
	p := htmlPage(t, h, target, http.StatusOK)
	for _, raw := range []string{"<img src=x", `"><img`} {
		if strings.Contains(p.body, raw) {
			t.Errorf("%s: raw %q in the page", target, raw)
		}
	}
}
