package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"healthsearch/bench"
	"healthsearch/indexer"
	"healthsearch/search"
)

// loadQueries returns the benchmark query mix (bench/queries.txt), or a
// few built-in queries when it is missing.
func loadQueries(t *testing.T) []string {
	t.Helper()
	qs, err := bench.ReadQueries(filepath.Join("..", "bench", "queries.txt"))
	if err != nil {
		return []string{"医保卡跨省", "异地就医备案", "潮虫", "医保余额", "住院报销比例", "不存在的词zzqx"}
	}
	return qs
}

// loadTargets turns queries into request paths with the parameter variants
// visitors use: a second page, a filter, newest first, suggestions.
func loadTargets(queries []string) []string {
	var out []string
	for i, q := range queries {
		e := url.QueryEscape(q)
		switch i % 5 {
		case 0, 1:
			out = append(out, "/api/search?q="+e)
		case 2:
			out = append(out, "/api/search?q="+e+"&page=2")
		case 3:
			out = append(out, "/api/search?q="+e+"&province="+url.QueryEscape("广西")+"&sort=date")
		case 4:
			out = append(out, "/api/suggest?q="+url.QueryEscape(string([]rune(q)[:min(2, len([]rune(q)))])))
		}
	}
	return append(out, "/readyz", "/search?q="+url.QueryEscape(queries[0]))
}

// writeMarker writes the page whose title names the generation n, so a
// search shows which build is serving.
func writeMarker(t *testing.T, dir string, n int) {
	t.Helper()
	page := fmt.Sprintf("zqxmarker第%d代标记页\n\n这是第%d次构建的标记页,用来确认新索引已经上线。\n\n"+
		"提示:本内容不能代替面诊。\n相关推荐\n\n标记推荐\n\n标记推荐摘要。\n\n健康新闻 2025-07-01\n", n, n)
	if err := os.WriteFile(filepath.Join(dir, "marker.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Load while the index is rebuilt and the server swaps generations (Watch,
// as `healthsearch serve` runs it): no request fails, and after each swap
// searches show the new generation. `make loadtest` runs the long version
// against the real binaries.
func TestReindexUnderLoad(t *testing.T) {
	seeds, markers, dir := t.TempDir(), t.TempDir(), t.TempDir()
	for _, name := range seedNames(t) {
		copyFile(t, filepath.Join("..", "seeds", name), filepath.Join(seeds, name))
	}
	build := func(n int) *indexer.Summary {
		t.Helper()
		writeMarker(t, markers, n)
		sum, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{seeds, markers}, IndexDir: dir, Workers: 2})
		if err != nil {
			t.Fatalf("build %d: %v", n, err)
		}
		return sum
	}
	build(0)
	eng, err := search.Open(dir, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		eng.Watch(ctx, 20*time.Millisecond)
	}()
	defer func() {
		stopWatch()
		<-watched
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	}()
	srv := httptest.NewServer(NewHandler(eng, Options{}))
	defer srv.Close()

	targets := loadTargets(loadQueries(t))
	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c * 17; !stop.Load(); i++ {
				target := targets[i%len(targets)]
				res, err := srv.Client().Get(srv.URL + target)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode/100 != 2 {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("GET %s: %v", target, err))
					mu.Unlock()
				}
				requests.Add(1)
			}
		}()
	}
	// waitFor polls cond; the deadline is a hang guard, not a expectation.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("waited too long for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	markerTitles := func() []string {
		r := apiGet(t, srv.Config.Handler, "/api/search?q=zqxmarker")
		var res search.Result
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatalf("marker search: %d %s", r.status, r.body)
		}
		var titles []string
		for _, h := range res.Hits {
			if strings.HasPrefix(h.Title, "zqxmarker") {
				titles = append(titles, h.Title)
			}
		}
		return titles
	}

	reindexes := 2
	for n := 1; n <= reindexes; n++ {
		before := requests.Load()
		waitFor("load before the build", func() bool { return requests.Load() >= before+20 })
		sum := build(n)
		waitFor("the new generation to be served", func() bool { return eng.Stats().Generation == sum.Generation })
		want := fmt.Sprintf("zqxmarker第%d代标记页", n)
		if got := markerTitles(); len(got) != 1 || got[0] != want {
			t.Errorf("after build %d the marker search shows %q, want only %q", n, got, want)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d requests over %d reindexes, %d failed", requests.Load(), reindexes, len(failures))
	for _, f := range failures[:min(len(failures), 10)] {
		t.Error(f)
	}
}
