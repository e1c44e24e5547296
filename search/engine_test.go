package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/indexer/enrich"
)

// The seeds index is built once per test binary (the gse dictionary load
// and the build are the slow part) and shared, read-only, by the tests.
var (
	seedsDir     = filepath.Join("..", "seeds")
	seedIndexDir string
	seedEngine   *Engine
)

func TestMain(m *testing.M) {
	os.Exit(runTestMain(m))
}

func runTestMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "healthsearch-search-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if _, err := buildGeneration(dir, seedsDir); err != nil {
		fmt.Fprintln(os.Stderr, "build seeds index:", err)
		return 1
	}
	seedIndexDir = dir
	seedEngine, err = Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open seeds index:", err)
		return 1
	}
	code := m.Run()
	if err := seedEngine.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close seeds engine:", err)
		code = 1
	}
	return code
}

var (
	enricherOnce sync.Once
	enricher     *enrich.Enricher
)

// testEnrich is the enrichment the CLI uses, so filters and facets have
// places and topics to work on.
func testEnrich(title, text string) indexer.Enrichment {
	enricherOnce.Do(func() { enricher = enrich.Default() })
	r := enricher.Enrich(title, text)
	return indexer.Enrichment{Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics}
}

func buildGeneration(indexDir string, srcs ...string) (*indexer.Summary, error) {
	return indexer.Build(context.Background(), indexer.BuildOptions{Sources: srcs, IndexDir: indexDir, Enrich: testEnrich})
}

func mustBuild(t testing.TB, indexDir string, srcs ...string) *indexer.Summary {
	t.Helper()
	sum, err := buildGeneration(indexDir, srcs...)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return sum
}

func mustOpen(t testing.TB, dir string, opts Options) *Engine {
	t.Helper()
	e, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return e
}

// seedsPlus returns a source folder with the seed pages and one extra page
// whose title holds a word no seed has.
func seedsPlus(t testing.TB, title string) string {
	t.Helper()
	src := t.TempDir()
	entries, err := os.ReadDir(seedsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(seedsDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page := title + "\n\n" + title + "是这一页的正文,只为测试重新加载。\n\n提示:本内容不能代替面诊。\n相关推荐\n\n" +
		"新一页的推荐\n\n新一页推荐的内容。\n\n健康新闻 2025-06-30\n"
	if err := os.WriteFile(filepath.Join(src, "zz_extra.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// openFilesUnder lists the files under dir that this process has open or
// mapped (Linux /proc), to catch index generations left open.
func openFilesUnder(t testing.TB, dir string) []string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd on this system")
	}
	var open []string
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			open = append(open, target)
		}
	}
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		for _, line := range strings.Split(string(maps), "\n") {
			if i := strings.Index(line, dir+string(filepath.Separator)); i >= 0 {
				open = append(open, "mmap "+line[i:])
			}
		}
	}
	return open
}

func TestOpenWithoutIndex(t *testing.T) {
	_, err := Open(t.TempDir(), Options{})
	if !errors.Is(err, indexer.ErrNoGeneration) {
		t.Errorf("Open of an empty dir: %v, want ErrNoGeneration", err)
	}
}

func TestStatsAndReady(t *testing.T) {
	st := seedEngine.Stats()
	if st.Docs != 105 || st.Articles != 5 || st.RelatedItems != 100 || !strings.HasPrefix(st.Generation, "gen-") || st.BuiltAt.IsZero() {
		t.Errorf("stats %+v", st)
	}
	if err := seedEngine.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestReloadWithoutChange(t *testing.T) {
	swapped, err := seedEngine.Reload()
	if swapped || err != nil {
		t.Errorf("Reload with no new generation = %v, %v; want false, nil", swapped, err)
	}
}

func TestCloseReleasesIndex(t *testing.T) {
	dir := t.TempDir()
	mustBuild(t, dir, seedsDir)
	e := mustOpen(t, dir, Options{})
	if _, err := e.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 5}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if open := openFilesUnder(t, dir); len(open) > 0 {
		t.Errorf("index files still open after Close:\n%s", strings.Join(open, "\n"))
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 5}); err == nil {
		t.Error("Search after Close succeeded")
	}
	if err := e.Ready(context.Background()); err == nil {
		t.Error("Ready after Close succeeded")
	}
	if _, err := e.Reload(); err == nil {
		t.Error("Reload after Close succeeded")
	}
}

// A new generation appears while searches run without pause: Reload swaps
// it in, no search fails, results afterwards come from the new generation,
// and the old generation's files are closed.
func TestReloadWhileSearching(t *testing.T) {
	dir := t.TempDir()
	first := mustBuild(t, dir, seedsDir)
	e := mustOpen(t, dir, Options{})
	defer func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	ctx := context.Background()
	// A Latin word no seed has: even the relaxed fallback finds nothing
	// before the reload.
	const marker = "zqxjwhale"
	req := Request{Query: marker, Page: 1, Size: 10}
	if res, err := e.Search(ctx, req); err != nil || res.Total != 0 {
		t.Fatalf("before reload: %v, %+v", err, res)
	}

	var (
		stop     atomic.Bool
		searches atomic.Int64
		wg       sync.WaitGroup
		errMu    sync.Mutex
		errs     []error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	queries := []Request{
		{Query: "医保卡跨省", Page: 1, Size: 10},
		{Query: "潮虫", Page: 1, Size: 10, Type: indexer.TypeRelated},
		{Query: "", Page: 1, Size: 20, Provinces: []string{"广西"}},
		{Query: "异地就医 备案", Page: 1, Size: 5, Sort: SortDate},
	}
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				q := queries[(g+i)%len(queries)]
				res, err := e.Search(ctx, q)
				if err != nil {
					fail(fmt.Errorf("search %q: %w", q.Query, err))
				} else if res.Total == 0 || len(res.Hits) == 0 {
					fail(fmt.Errorf("search %q: no hits", q.Query))
				} else if _, err := e.Document(ctx, res.Hits[0].ID); err != nil {
					fail(fmt.Errorf("document %s: %w", res.Hits[0].ID, err))
				}
				if err := e.Ready(ctx); err != nil {
					fail(fmt.Errorf("ready: %w", err))
				}
				searches.Add(1)
			}
		}()
	}
	// waitSearches waits until n more searches have completed (a hang guard
	// only, never a timing assertion).
	waitSearches := func(n int64) {
		t.Helper()
		target := searches.Load() + n
		deadline := time.Now().Add(2 * time.Minute)
		for searches.Load() < target {
			if time.Now().After(deadline) {
				t.Fatalf("searches stalled at %d", searches.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitSearches(16)

	second := mustBuild(t, dir, seedsPlus(t, marker+"测试页面"))
	swapped, err := e.Reload()
	if err != nil || !swapped {
		t.Fatalf("Reload = %v, %v; want true, nil", swapped, err)
	}
	waitSearches(32)
	stop.Store(true)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}

	if got := e.Stats().Generation; got != second.Generation {
		t.Errorf("serving %s, want %s", got, second.Generation)
	}
	res, err := e.Search(ctx, req)
	if err != nil || res.Total == 0 || !strings.Contains(res.Hits[0].Title, marker) {
		t.Errorf("after reload, %q: %v %+v", marker, err, res)
	}
	if open := openFilesUnder(t, filepath.Join(dir, first.Generation)); len(open) > 0 {
		t.Errorf("old generation still open after the swap:\n%s", strings.Join(open, "\n"))
	}
}

func TestWatchPicksUpNewGeneration(t *testing.T) {
	dir := t.TempDir()
	mustBuild(t, dir, seedsDir)
	reloaded := make(chan string, 10)
	e := mustOpen(t, dir, Options{OnReload: func(gen string, err error) {
		if err == nil {
			reloaded <- gen
		}
	}})
	defer func() {
		if err := e.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		e.Watch(ctx, 5*time.Millisecond)
	}()
	defer func() {
		cancel()
		<-watchDone
	}()

	const marker = "bluewhalemarker"
	second := mustBuild(t, dir, seedsPlus(t, marker))
	select {
	case gen := <-reloaded:
		if gen != second.Generation {
			t.Errorf("reloaded %s, want %s", gen, second.Generation)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Watch did not pick up the new generation")
	}
	res, err := e.Search(context.Background(), Request{Query: marker, Page: 1, Size: 5})
	if err != nil || res.Total == 0 {
		t.Errorf("new page not found after Watch reloaded: %v %+v", err, res)
	}
}

// A generation that fails to open is reported and the current one keeps
// serving.
func TestReloadBrokenGenerationKeepsServing(t *testing.T) {
	dir := t.TempDir()
	first := mustBuild(t, dir, seedsDir)
	var reports []error
	e := mustOpen(t, dir, Options{OnReload: func(_ string, err error) { reports = append(reports, err) }})
	defer e.Close()

	broken := "gen-29990101T000000.000000000"
	if err := os.MkdirAll(filepath.Join(dir, broken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "CURRENT"), []byte(broken+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	swapped, err := e.Reload()
	if swapped || err == nil {
		t.Errorf("Reload of a broken generation = %v, %v; want false and an error", swapped, err)
	}
	if len(reports) != 1 || reports[0] == nil {
		t.Errorf("OnReload reports %v, want one error", reports)
	}
	if got := e.Stats().Generation; got != first.Generation {
		t.Errorf("serving %s, want %s", got, first.Generation)
	}
	if res, err := e.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 5}); err != nil || res.Total == 0 {
		t.Errorf("search after failed reload: %v %+v", err, res)
	}
}

// A new generation cut with another analysis (here: its metadata says it
// was built with a user dictionary this process does not have) is refused
// on reload, naming the difference, and the live one keeps serving.
func TestReloadRefusesOtherAnalysis(t *testing.T) {
	dir := t.TempDir()
	first := mustBuild(t, dir, seedsDir)
	e := mustOpen(t, dir, Options{})
	defer e.Close()
	second := mustBuild(t, dir, seedsDir)
	path := filepath.Join(dir, second.Generation)
	meta, err := indexer.ReadGenerationMeta(path)
	if err != nil || meta.Analysis == nil {
		t.Fatalf("meta of %s: %+v, %v", second.Generation, meta, err)
	}
	meta.Analysis.User = []analysis.DictFile{{Name: "other.txt", SHA256: "0123456789abcdef"}}
	data, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "healthsearch-meta.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	swapped, err := e.Reload()
	if swapped || !errors.Is(err, ErrAnalysisMismatch) || !strings.Contains(err.Error(), "other.txt") {
		t.Errorf("Reload of a generation of another analysis = %v, %v", swapped, err)
	}
	if got := e.Stats().Generation; got != first.Generation {
		t.Errorf("serving %s, want %s", got, first.Generation)
	}
}

// A search that runs out of its work budget answers with what it reached,
// marked partial, its hits ordered as ever; within the budget it is whole.
func TestWorkBudget(t *testing.T) {
	whole := doSearch(t, Request{Query: "医保"})
	if whole.Partial || whole.Total < 20 {
		t.Fatalf("the seeds' 医保 search: partial %v, %d results", whole.Partial, whole.Total)
	}
	small, err := Open(seedIndexDir, Options{WorkBudget: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	res, err := small.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.Total == 0 || res.Total > 8 || len(res.Hits) == 0 {
		t.Fatalf("budget 8: partial %v, %d results, %d hits", res.Partial, res.Total, len(res.Hits))
	}
	for i := 1; i < len(res.Hits); i++ {
		if res.Hits[i].Score > res.Hits[i-1].Score {
			t.Errorf("partial hits out of order: %v", hitIDs(res.Hits))
		}
	}
	big, err := Open(seedIndexDir, Options{WorkBudget: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if res, err := big.Search(context.Background(), Request{Query: "医保", Page: 1, Size: 10}); err != nil || res.Partial || res.Total != whole.Total {
		t.Errorf("a budget the search fits in: %v, partial %v, %d results (want %d)", err, res.Partial, res.Total, whole.Total)
	}
}
