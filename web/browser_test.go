package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserTimeout bounds the whole browser test. It is generous because CI
// machines are slow and busy; every step waits for what it needs to see,
// so a fast machine never waits this long.
const browserTimeout = 5 * time.Minute

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowser drives the site in headless Chromium the way a visitor
// would: search, filter, page, read, autocomplete, and a hostile query.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := httptest.NewServer(seedHandler(t))
	defer srv.Close()

	shots := os.Getenv("HEALTHSEARCH_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	bctx, events := headlessChromium(t, browserTimeout, chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(1280, 1000))

	// run executes browser actions, saving a screenshot when they fail so
	// a CI failure can be seen, not guessed.
	run := func(t *testing.T, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			var buf []byte
			shotCtx, cancel := context.WithTimeout(bctx, 20*time.Second)
			defer cancel()
			if chromedp.Run(shotCtx, chromedp.CaptureScreenshot(&buf)) == nil {
				name := filepath.Join(shots, "failed-"+strings.ReplaceAll(t.Name(), "/", "_")+".png")
				if os.WriteFile(name, buf, 0o644) == nil {
					t.Logf("screenshot of the failure: %s", name)
				}
			}
			t.Fatalf("%s: %v", what, err)
		}
	}
	// waitFor waits until a JavaScript condition holds in a fully loaded
	// page. It is for navigations started by a click: chromedp's own waits
	// can match the old page, or a new one whose parser has not reached
	// the results yet, and its Poll dies with the page it started in.
	waitFor := func(t *testing.T, what, cond string) {
		t.Helper()
		js := `document.readyState === "complete" && !!(` + cond + `)`
		for {
			var ok bool
			// Errors are expected while one document replaces another.
			if err := chromedp.Run(bctx, chromedp.Evaluate(js, &ok)); err == nil && ok {
				return
			}
			select {
			case <-bctx.Done():
				t.Fatalf("waiting for %s: %v", what, bctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	screenshot := func(t *testing.T, name string, full bool) {
		t.Helper()
		var buf []byte
		action := chromedp.CaptureScreenshot(&buf)
		if full {
			action = chromedp.FullScreenshot(&buf, 100) // 100 means PNG
		}
		run(t, "screenshot "+name, action)
		p := filepath.Join(shots, name)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	// results reads the result list of the current page.
	type hit struct {
		Title     string   `json:"title"`
		Provinces []string `json:"provinces"`
		Marks     int      `json:"marks"`
	}
	type results struct {
		Total int    `json:"total"`
		Hits  []hit  `json:"hits"`
		URL   string `json:"url"`
		Query string `json:"query"`
	}
	readResults := func(t *testing.T) results {
		t.Helper()
		var r results
		run(t, "read results", chromedp.Evaluate(`(() => ({
			total: Number(document.querySelector("#result-summary").dataset.total),
			url: location.pathname + location.search,
			query: document.querySelector("#q").value,
			hits: Array.from(document.querySelectorAll("li.hit")).map(li => ({
				title: li.querySelector(".hit-title").textContent.trim(),
				provinces: Array.from(li.querySelectorAll("a.chip-province")).map(a => a.textContent.trim()),
				marks: li.querySelectorAll("mark").length,
			})),
		}))()`, &r))
		return r
	}
	titles := func(r results) []string {
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.Title)
		}
		return out
	}

	t.Run("search", func(t *testing.T) {
		run(t, "open home and search",
			chromedp.EmulateViewport(1280, 1000),
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(`#q`, chromedp.ByQuery),
			chromedp.SendKeys(`#q`, "医保卡跨省", chromedp.ByQuery),
			chromedp.Click(`#search-form button[type=submit]`, chromedp.ByQuery),
		)
		waitFor(t, "results", `location.pathname === "/search" && document.querySelector("#result-summary")`)
		r := readResults(t)
		if r.Total <= 10 || len(r.Hits) != 10 {
			t.Fatalf("total %d with %d hits", r.Total, len(r.Hits))
		}
		if r.Hits[0].Title != "医保卡如何跨省使用" || r.Hits[0].Marks == 0 {
			t.Errorf("top result %+v", r.Hits[0])
		}
		if r.Query != "医保卡跨省" {
			t.Errorf("search box shows %q", r.Query)
		}
		// A desktop view with the facets, for the README.
		screenshot(t, "search-desktop.png", false)
		screenshot(t, "search-desktop-full.png", true)
	})

	t.Run("facet narrows", func(t *testing.T) {
		run(t, "open search", chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape("医保卡跨省")),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery))
		before := readResults(t)
		const first = `section[data-facet=province] a.facet-link`
		var province string
		var ok bool
		run(t, "read facet", chromedp.AttributeValue(first, "data-value", &province, &ok, chromedp.ByQuery))
		run(t, "click facet", chromedp.Click(first, chromedp.ByQuery))
		waitFor(t, "filtered results", `new URLSearchParams(location.search).getAll("province").includes(`+jsString(province)+`)`)
		after := readResults(t)
		if after.Total >= before.Total || after.Total == 0 {
			t.Errorf("%s: %d results, %d before", province, after.Total, before.Total)
		}
		for _, h := range after.Hits {
			if !slices.Contains(h.Provinces, province) {
				t.Errorf("result %q has provinces %q, not %s", h.Title, h.Provinces, province)
			}
		}
		if !strings.Contains(after.URL, "province="+url.QueryEscape(province)) {
			t.Errorf("URL %s lacks the province", after.URL)
		}
		screenshot(t, "facet.png", false)
		// Removing the chip restores the full list.
		run(t, "remove filter", chromedp.Click(`a.chip-remove`, chromedp.ByQuery))
		waitFor(t, "unfiltered results", `location.pathname === "/search" && !location.search.includes("province=")`)
		if again := readResults(t); again.Total != before.Total {
			t.Errorf("after removing the filter: %d results, want %d", again.Total, before.Total)
		}
	})

	t.Run("paginate", func(t *testing.T) {
		run(t, "open search", chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape("医保")+"&topic="+url.QueryEscape("医保")),
			chromedp.WaitVisible(`nav.pager`, chromedp.ByQuery))
		page1 := readResults(t)
		run(t, "next page", chromedp.Click(`a.pager-next`, chromedp.ByQuery))
		waitFor(t, "page 2", `new URLSearchParams(location.search).get("page") === "2"`)
		page2 := readResults(t)
		if !strings.Contains(page2.URL, "page=2") || !strings.Contains(page2.URL, "topic=") {
			t.Errorf("page 2 URL %s", page2.URL)
		}
		if page2.Total != page1.Total || len(page2.Hits) == 0 || slices.Equal(titles(page1), titles(page2)) {
			t.Errorf("page 2: total %d (page 1: %d), titles %q", page2.Total, page1.Total, titles(page2))
		}
		var current string
		run(t, "read current page", chromedp.Text(`nav.pager .current`, &current, chromedp.ByQuery))
		if current != "2" {
			t.Errorf("pager shows page %q", current)
		}
		run(t, "previous page", chromedp.Click(`a.pager-prev`, chromedp.ByQuery))
		waitFor(t, "page 1", `location.pathname === "/search" && !new URLSearchParams(location.search).has("page")`)
		if back := readResults(t); !slices.Equal(titles(back), titles(page1)) {
			t.Errorf("back on page 1: %q, want %q", titles(back), titles(page1))
		}
	})

	t.Run("article", func(t *testing.T) {
		run(t, "open search", chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape("医保卡跨省")),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery))
		var heading string
		var related int
		run(t, "open top result", chromedp.Click(`li.hit .hit-title a`, chromedp.ByQuery))
		waitFor(t, "article", `location.pathname.startsWith("/articles/")`)
		run(t, "read article",
			chromedp.Text(`article.doc h1`, &heading, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll("section.related li").length`, &related),
		)
		if heading != "医保卡如何跨省使用" {
			t.Errorf("article heading %q", heading)
		}
		if related == 0 {
			t.Error("no 相关推荐")
		}
		screenshot(t, "article.png", true)
		var item string
		run(t, "follow a related item",
			chromedp.Text(`section.related a.linked-title`, &item, chromedp.ByQuery),
			chromedp.Click(`section.related a.linked-title`, chromedp.ByQuery),
		)
		waitFor(t, "search for the item", `location.pathname === "/search"`)
		if r := readResults(t); r.Query != item || r.Total == 0 {
			t.Errorf("related item %q led to a search for %q with %d results", item, r.Query, r.Total)
		}
	})

	t.Run("autocomplete", func(t *testing.T) {
		const listFor = `(() => {
			const list = document.querySelector("#suggest-list");
			return !list.hidden && list.children.length > 0 && list.dataset.prefix === document.querySelector("#q").value.trim();
		})()`
		run(t, "type a pinyin prefix",
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(`#q`, chromedp.ByQuery),
			chromedp.Focus(`#q`, chromedp.ByQuery),
			chromedp.SendKeys(`#q`, "yibao", chromedp.ByQuery),
		)
		// On a slow machine a list for "yib" may show first; wait for the
		// one for the whole prefix, after which nothing re-renders it.
		waitFor(t, "suggestions for yibao", listFor)
		var options []string
		var expanded string
		var ok bool
		run(t, "read suggestions",
			chromedp.Evaluate(`Array.from(document.querySelectorAll("#suggest-list li[role=option] .text")).map(e => e.textContent)`, &options),
			chromedp.AttributeValue(`#q`, "aria-expanded", &expanded, &ok, chromedp.ByQuery),
		)
		if len(options) < 2 || expanded != "true" {
			t.Fatalf("suggestions %q, aria-expanded=%q", options, expanded)
		}
		for _, o := range options {
			if !strings.HasPrefix(o, "医保") {
				t.Errorf("suggestion %q for yibao", o)
			}
		}
		screenshot(t, "autocomplete.png", false)

		var active, selected string
		run(t, "move down twice",
			chromedp.KeyEvent(kb.ArrowDown),
			chromedp.KeyEvent(kb.ArrowDown),
			chromedp.AttributeValue(`#q`, "aria-activedescendant", &active, &ok, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#suggest-list li[aria-selected="true"] .text').textContent`, &selected),
		)
		if active != "suggest-1" || selected != options[1] {
			t.Errorf("after two ArrowDowns: active %q, selected %q, want suggest-1 %q", active, selected, options[1])
		}
		run(t, "pick with Enter", chromedp.KeyEvent(kb.Enter))
		waitFor(t, "search for the suggestion", `location.pathname === "/search"`)
		r := readResults(t)
		if u, err := url.Parse(r.URL); err != nil || u.Query().Get("q") != options[1] || r.Query != options[1] {
			t.Errorf("picked %q, searched %q (%s)", options[1], r.Query, r.URL)
		}

		// Escape closes the list and leaves the typed text alone.
		var value string
		run(t, "type again",
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(`#q`, chromedp.ByQuery),
			chromedp.Focus(`#q`, chromedp.ByQuery),
			chromedp.SendKeys(`#q`, "医保卡", chromedp.ByQuery),
		)
		waitFor(t, "suggestions for 医保卡", listFor)
		run(t, "escape",
			chromedp.KeyEvent(kb.Escape),
			chromedp.WaitNotVisible(`#suggest-list`, chromedp.ByQuery),
			chromedp.Value(`#q`, &value, chromedp.ByQuery),
			chromedp.AttributeValue(`#q`, "aria-expanded", &expanded, &ok, chromedp.ByQuery),
		)
		if value != "医保卡" || expanded != "false" {
			t.Errorf("after Escape: value %q, aria-expanded %q", value, expanded)
		}
	})

	// A homophone typo (夸省 for 跨省) is searched corrected, says so, and
	// links back to the query as typed, which then searches exactly.
	t.Run("typo correction", func(t *testing.T) {
		var notice, fix, exactHref string
		run(t, "search with a typo",
			chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape("医保卡夸省")),
			chromedp.WaitVisible(`#did-you-mean`, chromedp.ByQuery),
			chromedp.Text(`.notice.correction`, &notice, chromedp.ByQuery),
			chromedp.Text(`#did-you-mean`, &fix, chromedp.ByQuery),
			chromedp.AttributeValue(`#search-exact`, "href", &exactHref, nil, chromedp.ByQuery),
		)
		if !strings.HasPrefix(notice, "您是不是要找：") || fix != "医保卡跨省" {
			t.Errorf("notice %q, correction %q", notice, fix)
		}
		if r := readResults(t); r.Total == 0 || !strings.Contains(titles(r)[0], "跨省") {
			t.Errorf("corrected search: %d results %q", r.Total, titles(r))
		}
		run(t, "search as typed", chromedp.Click(`#search-exact`, chromedp.ByQuery),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery))
		var applied int
		run(t, "read", chromedp.Evaluate(`document.querySelectorAll("#search-exact").length`, &applied))
		if r := readResults(t); applied != 0 || !strings.Contains(r.URL, "exact=1") || r.Query != "医保卡夸省" {
			t.Errorf("exact search: url %s, box %q, correction still applied: %d (href was %s)", r.URL, r.Query, applied, exactHref)
		}
	})

	// 模糊音 in the search box: 跨森 (sen for sheng) is no homophone of 跨省,
	// so only a search with the box ticked corrects it, and the box stays
	// ticked on the results.
	t.Run("fuzzy pinyin", func(t *testing.T) {
		var fix string
		var checked bool
		run(t, "type and tick",
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(`#q`, chromedp.ByQuery),
			chromedp.SendKeys(`#q`, "医保卡跨森", chromedp.ByQuery),
			chromedp.Click(`#fuzzy-pinyin`, chromedp.ByQuery),
			chromedp.Submit(`#search-form`, chromedp.ByQuery),
			chromedp.WaitVisible(`#did-you-mean`, chromedp.ByQuery),
			chromedp.Text(`#did-you-mean`, &fix, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("#fuzzy-pinyin").checked`, &checked),
		)
		r := readResults(t)
		if fix != "医保卡跨省" || !checked || !strings.Contains(r.URL, "fuzzy_pinyin=1") || r.Total == 0 {
			t.Errorf("fuzzy search: correction %q, box ticked %v, url %s, %d results", fix, checked, r.URL, r.Total)
		}
	})

	t.Run("hostile query renders as text", func(t *testing.T) {
		const attack = `<script>alert(1)</script>`
		var value, heading, title string
		var scripts int
		run(t, "open",
			chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape(attack)),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery),
			chromedp.Value(`#q`, &value, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector(".results-head h1").textContent`, &heading),
			chromedp.Title(&title),
			chromedp.Evaluate(`document.scripts.length`, &scripts),
		)
		if value != attack || !strings.Contains(heading, attack) || !strings.HasPrefix(title, attack) {
			t.Errorf("query not shown literally: box %q, heading %q, title %q", value, heading, title)
		}
		if scripts != 1 {
			t.Errorf("%d scripts in the page, want only ours", scripts)
		}
		// Same for a page that finds nothing and echoes the query in hints.
		run(t, "open no-result page",
			chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape(attack+" qqzxwv")+"&province="+url.QueryEscape("新疆")+"&type=article"),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery),
		)
		screenshot(t, "hostile.png", false)
		if dialogs, _ := events.snapshot(); len(dialogs) > 0 {
			t.Errorf("dialogs opened: %q", dialogs)
		}
	})

	t.Run("phone viewport", func(t *testing.T) {
		var scrollWidth, hits int
		run(t, "open at 375px",
			chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile),
			chromedp.Navigate(srv.URL+"/search?q="+url.QueryEscape("医保卡跨省")),
			chromedp.WaitVisible(`#result-summary`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollWidth),
			chromedp.Evaluate(`document.querySelectorAll("li.hit").length`, &hits),
		)
		if scrollWidth > 375 {
			t.Errorf("page is %dpx wide on a 375px screen", scrollWidth)
		}
		if hits == 0 {
			t.Error("no results on the phone")
		}
		screenshot(t, "search-mobile.png", false)
		screenshot(t, "search-mobile-full.png", true)
		run(t, "open an article at 375px", chromedp.Click(`li.hit .hit-title a`, chromedp.ByQuery))
		waitFor(t, "article", `location.pathname.startsWith("/articles/")`)
		run(t, "measure the article",
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollWidth),
		)
		if scrollWidth > 375 {
			t.Errorf("article is %dpx wide on a 375px screen", scrollWidth)
		}
		screenshot(t, "article-mobile.png", false)
	})

	dialogs, errs := events.snapshot()
	if len(dialogs) > 0 {
		t.Errorf("dialogs opened: %q", dialogs)
	}
	if len(errs) > 0 {
		t.Errorf("errors in the browser: %q", errs)
	}
}
