package indexer

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"healthsearch/page"
)

// hostileHeapLimit is a generous bound on the heap of a build over hostile
// pages. The gse dictionary alone takes ~150 MB; what this catches is a page
// being held or analysed whole many times over (a 50 MB file read into
// memory, a quadratic segmentation of one enormous line), which costs
// gigabytes, not a few hundred megabytes more or less.
const hostileHeapLimit = 1500 << 20

// heapHighWater samples HeapInuse until stop is called and returns the
// highest value seen. Sampling misses short peaks, which is fine for a bound
// this generous: the failures it is for last seconds.
func heapHighWater() (stop func() uint64) {
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// hostilePage is a page in the seed format around body.
func hostilePage(title string, body ...string) []byte {
	var b bytes.Buffer
	b.WriteString(title + "\n\n")
	for _, p := range body {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("提示:本内容不能代替面诊。\n相关推荐\n\n某条推荐\n\n推荐摘要\n\n健康新闻 2025-04-04\n")
	return b.Bytes()
}

func writeHostile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pages that are huge, deeply repetitive, binary, in another encoding or cut
// off are reported or decoded; the build succeeds with the good pages and
// its heap stays bounded.
func TestBuildHostilePages(t *testing.T) {
	src := t.TempDir()
	seed, err := os.ReadFile(filepath.Join("..", "seeds", "000_59d2d8c4907ebe6a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	writeHostile(t, filepath.Join(src, "good.txt"), seed)

	// Over the size limit: a sparse file with a page's start, so it costs no
	// disk and would look like text to a reader that ignored its size.
	hugeSize := int64(50 << 20)
	if testing.Short() {
		hugeSize = page.MaxPageBytes + 1
	}
	huge := filepath.Join(src, "huge.txt")
	writeHostile(t, huge, hostilePage("巨大的页面", "正文"))
	if err := os.Truncate(huge, hugeSize); err != nil {
		t.Fatal(err)
	}

	// One enormous line of a single repeated word: no punctuation for the
	// segmenter to break at, and every character a dictionary hit.
	repMB := 5
	if testing.Short() {
		repMB = 1
	}
	rep := strings.Repeat("医保", repMB<<20/len("医保"))
	writeHostile(t, filepath.Join(src, "repetitive.txt"), hostilePage("重复的医保页面", rep))
	// The same word on a million short lines: a million paragraphs.
	lines := strings.Repeat("医保\n", repMB<<20/len("医保\n"))
	writeHostile(t, filepath.Join(src, "many_lines.txt"), hostilePage("很多行的页面", lines))

	rnd := rand.New(rand.NewPCG(1, 2))
	bin := make([]byte, 256<<10)
	for i := range bin {
		bin[i] = byte(rnd.UintN(256))
	}
	writeHostile(t, filepath.Join(src, "binary.txt"), bin)

	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(hostilePage("国标编码的页面标题", "这一页用GBK保存,不是UTF-8。"))
	if err != nil {
		t.Fatal(err)
	}
	writeHostile(t, filepath.Join(src, "gbk.txt"), gbk)

	// Cut in the middle of a character, a third of the way into the page.
	cut := len(seed) / 3
	for seed[cut]&0xC0 != 0x80 {
		cut++ // stop on a continuation byte, so the last character is broken
	}
	truncated := append([]byte("截断的页面标题\n\n"), seed[bytes.IndexByte(seed, '\n'):cut]...)
	writeHostile(t, filepath.Join(src, "truncated.txt"), truncated)
	writeHostile(t, filepath.Join(src, "empty.txt"), nil)

	runtime.GC()
	stop := heapHighWater()
	dir := t.TempDir()
	sum, err := Build(context.Background(), BuildOptions{Sources: []string{src}, IndexDir: dir, Workers: 2})
	peak := stop()
	t.Logf("heap high-water %d MB over the build", peak>>20)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if peak > hostileHeapLimit {
		t.Errorf("heap reached %d MB building hostile pages (limit %d MB)", peak>>20, hostileHeapLimit>>20)
	}

	skipped := map[string]string{}
	for _, s := range sum.Skipped {
		skipped[filepath.Base(s.File)] = s.Reason
	}
	for name, want := range map[string]error{"huge.txt": page.ErrTooLarge, "binary.txt": page.ErrBinary, "empty.txt": page.ErrEmpty} {
		if !strings.Contains(skipped[name], want.Error()) {
			t.Errorf("%s: skipped with %q, want a reason saying %q", name, skipped[name], want)
		}
	}
	if len(skipped) != 3 {
		t.Errorf("skipped %v, want only huge, binary and empty", sum.Skipped)
	}
	if sum.Articles != 5 {
		t.Errorf("%d articles, want 5 (good, repetitive, many_lines, gbk, truncated)", sum.Articles)
	}
	warned := map[string]string{}
	for _, w := range sum.Warnings {
		warned[filepath.Base(w.File)] += w.Reason + "; "
	}
	for _, name := range []string{"gbk.txt", "truncated.txt"} {
		if warned[name] == "" {
			t.Errorf("%s decoded without a warning (warnings: %v)", name, sum.Warnings)
		}
	}
	for _, name := range []string{"repetitive.txt", "many_lines.txt"} {
		if !strings.Contains(warned[name], "indexed and stored the first") {
			t.Errorf("%s: warnings %q do not report the cut body", name, warned[name])
		}
	}

	path, err := CurrentGeneration(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.OpenUsing(path, map[string]interface{}{"read_only": true})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for _, title := range []string{"国标编码的页面标题", "截断的页面标题", "重复的医保页面"} {
		q := bleve.NewMatchPhraseQuery(title)
		q.SetField(FieldTitle)
		res, err := idx.Search(bleve.NewSearchRequest(q))
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 1 {
			t.Errorf("title %q: %d hits, want the page", title, res.Total)
		}
	}
}

// A page over the limit is rejected from its stat size, before it is read.
// The path does not exist, so reading it would fail with another error.
func TestReadPageRejectsBySizeFirst(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "huge.txt")
	if _, err := readPage(pageFile{path: missing, size: 50 << 20}); !errors.Is(err, page.ErrTooLarge) {
		t.Fatalf("readPage of a 50 MB page: %v, want ErrTooLarge", err)
	}
}

func TestIndexedBodyCap(t *testing.T) {
	small := []string{"第一段", "第二段"}
	if body, full := indexedBody(small); body != "第一段\n第二段" || full != len(body) {
		t.Errorf("small body: %q, %d", body, full)
	}
	para := strings.Repeat("医", MaxBodyBytes/len("医")/2) // half the cap
	cases := map[string][]string{
		"paragraphs":     {para, para, para},
		"one giant line": {strings.Repeat("医保a", MaxBodyBytes)},
		"giant second":   {"短", strings.Repeat("保", MaxBodyBytes)},
	}
	for name, paras := range cases {
		body, full := indexedBody(paras)
		if full != len(strings.Join(paras, "\n")) {
			t.Errorf("%s: full length %d", name, full)
		}
		if len(body) > MaxBodyBytes || len(body) < MaxBodyBytes/4 || !utf8.ValidString(body) {
			t.Errorf("%s: cut body of %d bytes (valid UTF-8: %v)", name, len(body), utf8.ValidString(body))
		}
		if !strings.HasPrefix(strings.Join(paras, "\n"), body) {
			t.Errorf("%s: cut body is not a prefix of the body", name)
		}
	}
	// Whole paragraphs are kept: the third one does not fit.
	if body, _ := indexedBody(cases["paragraphs"]); body != para+"\n"+para {
		t.Errorf("paragraph cut kept %d bytes, want two paragraphs", len(body))
	}
}
