package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	nethtml "golang.org/x/net/html"

	"healthsearch/search"
)

// embedBrowserTimeout bounds one browser test. It is generous for slow CI
// machines; every step waits for what it needs to see, never for a time.
const embedBrowserTimeout = 3 * time.Minute

func runBrowser(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// The example page of docs/embedding.md works in a browser under the
// server's strict CSP: a typed query shows highlighted results from the
// API on the page itself, and the input gets suggestions.
func TestEmbedExampleBrowser(t *testing.T) {
	eng := openSeedEngine(t, buildSeedIndex(t), search.Options{})
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	defer srv.Close()
	ctx, events := headlessChromium(t, embedBrowserTimeout)

	var title, href, location string
	var marks, plainHits []*cdp.Node
	runBrowser(t, ctx, "search from the example page",
		chromedp.Navigate(srv.URL+"/embed/example"),
		chromedp.WaitVisible("#box-q", chromedp.ByID),
		chromedp.SendKeys("#box-q", "医保卡跨省", chromedp.ByID),
		chromedp.SendKeys("#box-q", kb.Enter, chromedp.ByID),
		chromedp.WaitVisible("#box-results .hs-hit", chromedp.ByQuery),
		chromedp.Text("#box-results .hs-hit .hs-title", &title, chromedp.ByQuery),
		chromedp.AttributeValue("#box-results .hs-hit .hs-title", "href", &href, nil, chromedp.ByQuery),
		chromedp.Nodes("#box-results .hs-hit mark", &marks, chromedp.ByQueryAll),
		chromedp.Location(&location),
	)
	if title != "医保卡如何跨省使用" {
		t.Errorf("first result %q, want 医保卡如何跨省使用", title)
	}
	if !strings.HasPrefix(href, srv.URL+"/articles/a") {
		t.Errorf("result links to %q", href)
	}
	if len(marks) == 0 {
		t.Error("no highlighted matches in the results")
	}
	if location != srv.URL+"/embed/example" {
		t.Errorf("the page navigated to %s; results belong on the page", location)
	}

	// Suggestions fill the input's datalist. A fresh page gives an empty
	// input the way a visitor finds it.
	var suggestion string
	runBrowser(t, ctx, "suggestions",
		chromedp.Navigate(srv.URL+"/embed/example"),
		chromedp.WaitVisible("#box-q", chromedp.ByID),
		chromedp.SendKeys("#box-q", "yib", chromedp.ByID),
		chromedp.WaitReady("#box-search-suggestions option", chromedp.ByQuery),
		chromedp.AttributeValue("#box-search-suggestions option", "value", &suggestion, nil, chromedp.ByQuery),
	)
	if !strings.HasPrefix(suggestion, "医保") {
		t.Errorf("first suggestion for yib: %q", suggestion)
	}

	// The plain form needs no script: it goes to the server's search page.
	runBrowser(t, ctx, "plain form",
		chromedp.SendKeys("#plain-q", "异地就医备案", chromedp.ByID),
		chromedp.Submit("#plain-q", chromedp.ByID),
		chromedp.WaitVisible(`a[href^="/articles/"]`, chromedp.ByQuery),
		chromedp.Location(&location),
		chromedp.Nodes(`a[href^="/articles/"]`, &plainHits, chromedp.ByQueryAll),
	)
	if !strings.HasPrefix(location, srv.URL+"/search?q=") || len(plainHits) == 0 {
		t.Errorf("plain form went to %s with %d results", location, len(plainHits))
	}

	if dialogs, errs := events.snapshot(); len(dialogs) > 0 || len(errs) > 0 {
		t.Errorf("dialogs %q, errors (a CSP violation shows here) %q", dialogs, errs)
	}
}

// markupSearcher answers with markup where only escaped text belongs, as a
// compromised or buggy server might: the embed script must render text.
type markupSearcher struct{ brokenSearcher }

func (markupSearcher) Search(_ context.Context, req search.Request) (*search.Result, error) {
	return &search.Result{Query: req.Query, Total: 1, Page: 1, Size: req.Size, Hits: []search.Hit{{
		ID: "a1", Type: "article", Date: "2025-01-02",
		Title:       "x",
		TitleHTML:   `<mark>医保</mark><img src=x onerror="alert('title')">&lt;b&gt;报销`,
		SnippetHTML: `<script>alert('snippet')</script><a href="javascript:alert(1)">链接</a><mark>正文</mark>`,
		URL:         "javascript:alert('url')",
	}}}, nil
}

func (markupSearcher) Suggest(context.Context, string, int) ([]search.Suggestion, error) {
	return []search.Suggestion{{Text: `"><img src=x onerror="alert('suggest')">`, Kind: "term"}}, nil
}

func TestEmbedScriptRendersOnlyText(t *testing.T) {
	srv := httptest.NewServer(NewHandler(markupSearcher{}, Options{}))
	defer srv.Close()
	ctx, events := headlessChromium(t, embedBrowserTimeout)

	var title, snippet string
	var images, scripts, links, marks []*cdp.Node
	var hasHref bool
	runBrowser(t, ctx, "search with markup in the answer",
		chromedp.Navigate(srv.URL+"/embed/example"),
		chromedp.WaitVisible("#box-q", chromedp.ByID),
		chromedp.SendKeys("#box-q", "医保", chromedp.ByID),
		chromedp.WaitReady("#box-search-suggestions option", chromedp.ByQuery),
		chromedp.SendKeys("#box-q", kb.Enter, chromedp.ByID),
		chromedp.WaitVisible("#box-results .hs-hit", chromedp.ByQuery),
		chromedp.Text("#box-results .hs-title", &title, chromedp.ByQuery),
		chromedp.Text("#box-results .hs-snippet", &snippet, chromedp.ByQuery),
		chromedp.Nodes("img", &images, chromedp.ByQueryAll, chromedp.AtLeast(0)),
		chromedp.Nodes("#box-results script", &scripts, chromedp.ByQueryAll, chromedp.AtLeast(0)),
		chromedp.Nodes("#box-results .hs-snippet a", &links, chromedp.ByQueryAll, chromedp.AtLeast(0)),
		chromedp.Nodes("#box-results mark", &marks, chromedp.ByQueryAll),
		chromedp.Evaluate(`document.querySelector("#box-results .hs-title").hasAttribute("href")`, &hasHref),
	)
	// Markup other than <mark> shows as the characters it is made of;
	// entities are decoded once, so &lt;b&gt; reads <b>.
	if want := `医保<img src=x onerror="alert('title')"><b>报销`; title != want {
		t.Errorf("title rendered as %q, want %q", title, want)
	}
	if want := `<script>alert('snippet')</script><a href="javascript:alert(1)">链接</a>正文`; snippet != want {
		t.Errorf("snippet rendered as %q, want %q", snippet, want)
	}
	if len(images)+len(scripts)+len(links) > 0 || len(marks) != 2 {
		t.Errorf("markup got through: %d img, %d script, %d a; %d mark (want 2)", len(images), len(scripts), len(links), len(marks))
	}
	if hasHref {
		t.Error("a javascript: URL became a link")
	}
	if dialogs, errs := events.snapshot(); len(dialogs) > 0 || len(errs) > 0 {
		t.Errorf("dialogs %q, errors %q", dialogs, errs)
	}
}

// The embed files are served with their types and validators; the example
// page carries no inline script or style, which the server's CSP forbids
// (the browser test sees violations too, but only where Chromium runs).
func TestEmbedAssets(t *testing.T) {
	h := NewHandler(brokenSearcher{}, Options{})
	for target, typ := range map[string]string{
		"/embed/example":    "text/html; charset=utf-8",
		"/embed/search.js":  "text/javascript; charset=utf-8",
		"/embed/search.css": "text/css; charset=utf-8",
	} {
		rec := serveRecorded(h, httptest.NewRequest(http.MethodGet, target, nil))
		etag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != typ || etag == "" ||
			!strings.HasPrefix(rec.Header().Get("Cache-Control"), "public, max-age=") {
			t.Errorf("GET %s: %d %v", target, rec.Code, rec.Header())
			continue
		}
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("If-None-Match", etag)
		if rec := serveRecorded(h, req); rec.Code != http.StatusNotModified {
			t.Errorf("GET %s revalidated: %d, want 304", target, rec.Code)
		}
	}

	doc, err := nethtml.Parse(bytes.NewReader(embedExamplePage.data))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") || strings.HasPrefix(strings.TrimSpace(a.Val), "javascript:") {
					t.Errorf("<%s %s=%q>: inline code is refused by the CSP", n.Data, a.Key, a.Val)
				}
			}
			if n.Data == "style" || (n.Data == "script" && !slices.ContainsFunc(n.Attr, func(a nethtml.Attribute) bool { return a.Key == "src" })) {
				t.Errorf("inline <%s> is refused by the CSP", n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}
