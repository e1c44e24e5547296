package indexer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"healthsearch/page"
)

var buildSeedsDir = filepath.Join("..", "seeds")

// buildIndex builds srcs into indexDir and fails the test on error.
func buildIndex(t testing.TB, indexDir string, workers int, srcs ...string) *Summary {
	t.Helper()
	return buildIndexBatch(t, indexDir, workers, 0, srcs...)
}

// buildIndexBatch is buildIndex with a batch size; small batches make many
// segments and interleave the workers' flushes.
func buildIndexBatch(t testing.TB, indexDir string, workers, batch int, srcs ...string) *Summary {
	t.Helper()
	sum, err := Build(context.Background(), BuildOptions{Sources: srcs, IndexDir: indexDir, Workers: workers, BatchSize: batch})
	if err != nil {
		t.Fatalf("build %v: %v", srcs, err)
	}
	return sum
}

// openLive opens the live generation of indexDir read-only until the test ends.
func openLive(t testing.TB, indexDir string) bleve.Index {
	t.Helper()
	path, err := CurrentGeneration(indexDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.OpenUsing(path, map[string]interface{}{"read_only": true})
	if err != nil {
		t.Fatalf("open live generation: %v", err)
	}
	t.Cleanup(func() {
		if err := idx.Close(); err != nil {
			t.Errorf("close index: %v", err)
		}
	})
	return idx
}

// storedDocs returns the stored fields of every document matching q, by id.
func storedDocs(t testing.TB, idx bleve.Index, q query.Query) map[string]map[string]interface{} {
	t.Helper()
	req := bleve.NewSearchRequestOptions(q, 10000, 0, false)
	req.Fields = []string{"*"}
	res, err := idx.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]map[string]interface{}, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Fields
	}
	return out
}

func allDocs(t testing.TB, idx bleve.Index) map[string]map[string]interface{} {
	return storedDocs(t, idx, query.NewMatchAllQuery())
}

func typeQuery(typ string) query.Query {
	q := query.NewTermQuery(typ)
	q.SetField(FieldType)
	return q
}

// str and strs read stored fields, which bleve returns as a value or a list.
func str(f map[string]interface{}, name string) string {
	switch v := f[name].(type) {
	case string:
		return v
	case []interface{}:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	}
	return ""
}

func strs(f map[string]interface{}, name string) []string {
	switch v := f[name].(type) {
	case string:
		return []string{v}
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// parsedSeeds parses the seed pages, by file name.
func parsedSeeds(t testing.TB) map[string]*page.Page {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(buildSeedsDir, "*.txt"))
	if err != nil || len(files) != 5 {
		t.Fatalf("want 5 seed pages, got %v (%v)", files, err)
	}
	out := map[string]*page.Page{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := page.ParsePage(data)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		out[filepath.Base(f)] = p
	}
	return out
}

// copyDir copies the regular files of src (not recursive) into dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuildSeeds(t *testing.T) {
	dir := t.TempDir()
	sum := buildIndex(t, dir, 3, buildSeedsDir)
	seeds := parsedSeeds(t)

	t.Run("summary", func(t *testing.T) {
		want := Summary{Generation: sum.Generation, Pages: 5, Articles: 5, RelatedSlots: 100, RelatedItems: 100}
		got := Summary{Generation: sum.Generation, Pages: sum.Pages, Articles: sum.Articles,
			DuplicatePages: sum.DuplicatePages, RelatedSlots: sum.RelatedSlots, RelatedItems: sum.RelatedItems}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("summary = %+v, want %+v", got, want)
		}
		if len(sum.Skipped) != 0 {
			t.Errorf("skipped %v", sum.Skipped)
		}
		if sum.Docs() != 105 || sum.Bytes <= 0 || sum.Elapsed <= 0 || sum.DocsPerSecond() <= 0 {
			t.Errorf("docs %d, bytes %d, elapsed %v, docs/s %v", sum.Docs(), sum.Bytes, sum.Elapsed, sum.DocsPerSecond())
		}
	})

	t.Run("CURRENT points at a complete generation", func(t *testing.T) {
		path, err := CurrentGeneration(dir)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(path) != sum.Generation {
			t.Errorf("CURRENT = %s, summary generation %s", filepath.Base(path), sum.Generation)
		}
		meta, err := ReadGenerationMeta(path)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Generation != sum.Generation || meta.Articles != 5 || meta.RelatedItems != 100 || meta.Pages != 5 || meta.BuiltAt.IsZero() {
			t.Errorf("meta = %+v", meta)
		}
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{currentFile, sum.Generation}; !reflect.DeepEqual(names, want) {
			t.Errorf("index dir holds %v, want %v (no lock, temp or .building left)", names, want)
		}
		n, err := openLive(t, dir).DocCount()
		if err != nil || n != 105 {
			t.Errorf("doc count %d (%v), want 105", n, err)
		}
	})

	idx := openLive(t, dir)
	articles := storedDocs(t, idx, typeQuery(TypeArticle))
	related := storedDocs(t, idx, typeQuery(TypeRelated))

	t.Run("documents by type", func(t *testing.T) {
		if len(articles) != 5 || len(related) != 100 {
			t.Errorf("%d articles, %d related items; want 5 and 100", len(articles), len(related))
		}
	})

	t.Run("six distinct 潮虫 items", func(t *testing.T) {
		q := query.NewTermQuery("潮虫")
		q.SetField(FieldTitle)
		docs := storedDocs(t, idx, q)
		titles := map[string]bool{}
		for id, f := range docs {
			if str(f, FieldType) != TypeRelated {
				t.Errorf("%s: type %q", id, str(f, FieldType))
			}
			title := str(f, FieldTitle)
			if !strings.Contains(title, "潮虫") || titles[title] {
				t.Errorf("%s: title %q (duplicate or not a 潮虫 item)", id, title)
			}
			titles[title] = true
		}
		if len(docs) != 6 {
			t.Errorf("%d 潮虫 items, want 6: %v", len(docs), titles)
		}
	})

	t.Run("articles", func(t *testing.T) {
		for name, p := range seeds {
			id := ArticleID(name)
			f, ok := articles[id]
			if !ok {
				t.Errorf("%s: no article %s", name, id)
				continue
			}
			if got := str(f, FieldTitle); got != p.Title {
				t.Errorf("%s: title %q, want %q", name, got, p.Title)
			}
			if got := str(f, FieldBody); got != strings.Join(p.Body, "\n") {
				t.Errorf("%s: body differs from the parsed paragraphs", name)
			}
			if got := str(f, FieldSource); got != name {
				t.Errorf("%s: source %q", name, got)
			}
			// The rule: no own date, so the newest related-item date.
			if got, want := str(f, FieldDate), page.ArticleDate(p); !strings.HasPrefix(got, want) || want == "" {
				t.Errorf("%s: date %q, want %q", name, got, want)
			}
			if got, want := str(f, FieldMonth), page.ArticleDate(p)[:7]; got != want {
				t.Errorf("%s: month %q, want %q", name, got, want)
			}
			var wantRel []string
			for _, it := range p.Related {
				wantRel = append(wantRel, RelatedID(it))
			}
			if got := strs(f, FieldRelatedIDs); !reflect.DeepEqual(got, wantRel) {
				t.Errorf("%s: related ids not in page order:\n got %v\nwant %v", name, got, wantRel)
			}
			for _, rid := range wantRel {
				r, ok := related[rid]
				if !ok {
					t.Errorf("%s: related item %s missing", name, rid)
					continue
				}
				if got := strs(r, FieldArticleIDs); !reflect.DeepEqual(got, []string{id}) {
					t.Errorf("related %s: article ids %v, want [%s]", rid, got, id)
				}
			}
		}
		if f := articles[ArticleID("000_59d2d8c4907ebe6a.txt")]; !strings.HasPrefix(str(f, FieldDate), "2025-04-04") {
			t.Errorf("000: date %q, want 2025-04-04", str(f, FieldDate))
		}
	})

	t.Run("related items", func(t *testing.T) {
		for name, p := range seeds {
			for _, it := range p.Related {
				f := related[RelatedID(it)]
				if str(f, FieldTitle) != it.Title || str(f, FieldSnippet) != it.Snippet {
					t.Errorf("%s: item %q stored as %q / %q", name, it.Title, str(f, FieldTitle), str(f, FieldSnippet))
				}
				if !strings.HasPrefix(str(f, FieldDate), it.Date) || it.Date == "" {
					t.Errorf("%s: item %q date %q, want %q", name, it.Title, str(f, FieldDate), it.Date)
				}
			}
		}
	})
}

// Two builds of the same pages, with different worker counts, store the
// same documents under the same ids.
func TestBuildIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	buildIndex(t, a, 1, buildSeedsDir)
	buildIndexBatch(t, b, 4, 7, buildSeedsDir)
	da, db := allDocs(t, openLive(t, a)), allDocs(t, openLive(t, b))
	if len(da) != 105 {
		t.Fatalf("%d docs, want 105", len(da))
	}
	for id, fa := range da {
		fb, ok := db[id]
		if !ok {
			t.Errorf("id %s only in the first build", id)
			continue
		}
		if !reflect.DeepEqual(fa, fb) {
			t.Errorf("doc %s differs between builds:\n%v\n%v", id, fa, fb)
		}
	}
	if len(db) != len(da) {
		t.Errorf("%d docs vs %d", len(db), len(da))
	}
}

// Indexing the seeds twice over gives the same related-item count. Copies
// under different paths are different pages (articles); two source folders
// mirroring the same paths give each article once.
func TestBuildDuplicateFolders(t *testing.T) {
	src := t.TempDir()
	copyDir(t, buildSeedsDir, filepath.Join(src, "copy1"))
	copyDir(t, buildSeedsDir, filepath.Join(src, "copy2"))
	for _, c := range []struct {
		name                        string
		srcs                        []string
		articles, duplicates, slots int
	}{
		{"one folder holding two copies", []string{src}, 10, 0, 200},
		{"two source folders", []string{filepath.Join(src, "copy1"), filepath.Join(src, "copy2")}, 5, 5, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			sum := buildIndex(t, dir, 3, c.srcs...)
			if sum.Pages != 10 || sum.Articles != c.articles || sum.DuplicatePages != c.duplicates || sum.RelatedItems != 100 || sum.RelatedSlots != c.slots {
				t.Errorf("summary %+v: want 10 pages, %d articles, %d duplicates, 100 related items of %d slots", sum, c.articles, c.duplicates, c.slots)
			}
			if n, _ := openLive(t, dir).DocCount(); n != uint64(c.articles+100) {
				t.Errorf("doc count %d, want %d", n, c.articles+100)
			}
		})
	}
}

// relatedBlock renders related items in the page format.
func relatedBlock(items ...page.RelatedItem) string {
	var b strings.Builder
	b.WriteString("相关推荐\n\n")
	for _, it := range items {
		fmt.Fprintf(&b, "%s\n\n%s\n\n健康新闻 %s\n\n", it.Title, it.Snippet, it.Date)
	}
	return b.String()
}

// An item recommended by two pages is one document listing both articles
// in page order, with the text of the first page and the newest date.
func TestBuildRecurringRelatedItem(t *testing.T) {
	seeds := parsedSeeds(t)
	first := seeds["000_59d2d8c4907ebe6a.txt"]
	shared := first.Related[0]
	src := t.TempDir()
	data, err := os.ReadFile(filepath.Join(buildSeedsDir, "000_59d2d8c4907ebe6a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "000_59d2d8c4907ebe6a.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The second page's copy differs only in what ids ignore: full-width
	// digits and spacing.
	variant := page.RelatedItem{
		Title:   strings.NewReplacer("2", "２", "0", "０", "5", "５").Replace(shared.Title) + " ",
		Snippet: shared.Snippet,
		Date:    "2025-06-01",
	}
	if RelatedID(variant) != RelatedID(shared) {
		t.Fatalf("variant %q has another id than %q", variant.Title, shared.Title)
	}
	own := page.RelatedItem{Title: "第二页自己的推荐", Snippet: "只在第二页出现的推荐内容。", Date: "2025-05-01"}
	text := "测试页面的标题\n\n这是测试页面的正文段落,讲医保卡的使用。\n\n提示:本内容不能代替面诊,如有不适请尽快就医。\n" + relatedBlock(variant, own)
	if err := os.WriteFile(filepath.Join(src, "zz_second.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := page.ParsePage([]byte(text))
	if err != nil || len(second.Related) != 2 {
		t.Fatalf("fixture page does not parse as intended: %v %+v", err, second)
	}

	dir := t.TempDir()
	sum := buildIndex(t, dir, 4, src)
	if sum.Articles != 2 || sum.RelatedSlots != 22 || sum.RelatedItems != 21 {
		t.Errorf("summary %+v: want 2 articles, 21 related items of 22 slots", sum)
	}
	idx := openLive(t, dir)
	docs := allDocs(t, idx)
	f := docs[RelatedID(shared)]
	if got, want := strs(f, FieldArticleIDs), []string{ArticleID("000_59d2d8c4907ebe6a.txt"), ArticleID("zz_second.txt")}; !reflect.DeepEqual(got, want) {
		t.Errorf("article ids %v, want %v (page order)", got, want)
	}
	if got := str(f, FieldTitle); got != shared.Title {
		t.Errorf("title %q, want the first page's %q", got, shared.Title)
	}
	if got := str(f, FieldDate); !strings.HasPrefix(got, "2025-06-01") {
		t.Errorf("date %q, want the newest 2025-06-01", got)
	}
	if got := str(docs[ArticleID("zz_second.txt")], FieldDate); !strings.HasPrefix(got, "2025-06-01") {
		t.Errorf("second article date %q, want its newest item's 2025-06-01", got)
	}
	if got := strs(docs[RelatedID(own)], FieldArticleIDs); !reflect.DeepEqual(got, []string{ArticleID("zz_second.txt")}) {
		t.Errorf("own item article ids %v", got)
	}
}

// Pages that cannot be indexed are reported with file and reason, and the
// build still succeeds with the good pages.
func TestBuildSkipsMalformedPages(t *testing.T) {
	src := t.TempDir()
	copyDir(t, buildSeedsDir, src)
	bad := map[string]string{
		"empty.txt":        "",
		"blank.txt":        " \n\r\n\t\n",
		"binary.txt":       "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa",
		"title_only.txt":   "只有标题的页面\n",
		"sub/fragment.TXT": "相关推荐\n\n某个推荐\n\n推荐内容\n\n健康新闻 2025-04-04\n",
	}
	for name, content := range bad {
		path := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Not a page: ignored, not reported.
	if err := os.WriteFile(filepath.Join(src, "notes.md"), []byte("# notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum := buildIndex(t, dir, 2, src)
	if sum.Articles != 5 || sum.RelatedItems != 100 {
		t.Errorf("summary %+v: want the 5 good articles and their 100 items", sum)
	}
	reasons := map[string]string{}
	for _, s := range sum.Skipped {
		rel, err := filepath.Rel(src, s.File)
		if err != nil {
			t.Errorf("skipped file %q is not under the source", s.File)
		}
		reasons[filepath.ToSlash(rel)] = s.Reason
	}
	want := map[string]error{
		"empty.txt":        page.ErrEmpty,
		"blank.txt":        page.ErrEmpty,
		"binary.txt":       page.ErrBinary,
		"title_only.txt":   page.ErrNoBody,
		"sub/fragment.TXT": page.ErrNoTitle,
	}
	for name, werr := range want {
		r, ok := reasons[name]
		if !ok {
			t.Errorf("%s not reported as skipped (skipped: %v)", name, sum.Skipped)
			continue
		}
		if !strings.Contains(r, werr.Error()) {
			t.Errorf("%s: reason %q, want it to say %q", name, r, werr)
		}
	}
	if len(reasons) != len(want) {
		t.Errorf("skipped %v, want exactly %d files", sum.Skipped, len(want))
	}
	if meta, _ := ReadGenerationMeta(filepath.Join(dir, sum.Generation)); meta.Skipped != len(want) {
		t.Errorf("meta records %d skipped, want %d", meta.Skipped, len(want))
	}
}

func TestBuildFailsWithoutSources(t *testing.T) {
	if _, err := Build(context.Background(), BuildOptions{IndexDir: t.TempDir()}); err == nil {
		t.Error("build with no source folders succeeded")
	}
	file := filepath.Join(t.TempDir(), "page.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), BuildOptions{Sources: []string{file}, IndexDir: t.TempDir()}); err == nil {
		t.Error("build with a file as source folder succeeded")
	}
}
