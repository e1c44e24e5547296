package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// Enrichment is what enrichment adds to a document.
type Enrichment struct {
	Provinces, Cities, Topics []string
}

// EnrichFunc derives places and topics from a document's title and text.
type EnrichFunc func(title, text string) Enrichment

// BuildOptions configure a build.
type BuildOptions struct {
	// Sources are folders searched recursively for *.txt pages.
	Sources []string
	// IndexDir holds the generations and the CURRENT pointer.
	IndexDir string
	// Workers parse, enrich and index in parallel; default runtime.NumCPU().
	Workers int
	// BatchSize is the number of documents per bleve batch; default 1000.
	BatchSize int
	// Enrich adds places and topics; nil uses the embedded gazetteer and
	// topic taxonomy.
	Enrich EnrichFunc
	// Progress, when set, is called after each page with running totals.
	// It is called from worker goroutines and must be safe for that.
	Progress func(Progress)
}

func (o *BuildOptions) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.Enrich == nil {
		o.Enrich = defaultEnrich
	}
}

// Progress is a snapshot of a running build.
type Progress struct {
	PagesTotal int `json:"pages_total"`
	PagesDone  int `json:"pages_done"`
	Docs       int `json:"docs"`
}

// Skipped names a page that was not indexed and why.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Summary reports a finished build.
type Summary struct {
	Generation     string        `json:"generation"`
	Pages          int           `json:"pages"`
	Articles       int           `json:"articles"`
	DuplicatePages int           `json:"duplicate_pages"`
	RelatedSlots   int           `json:"related_slots"`
	RelatedItems   int           `json:"related_items"`
	Skipped        []Skipped     `json:"skipped"`
	Warnings       []Skipped     `json:"warnings"`
	Bytes          int64         `json:"bytes"`
	Elapsed        time.Duration `json:"elapsed_ns"`
}

// Docs is the number of documents in the index.
func (s *Summary) Docs() int { return s.Articles + s.RelatedItems }

// DocsPerSecond is the build throughput.
func (s *Summary) DocsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Docs()) / s.Elapsed.Seconds()
}

// Build indexes every page under opts.Sources into a new generation of
// opts.IndexDir and makes it live. The live generation is untouched until the
// new one is complete: a failed, cancelled or killed build leaves only a
// *.building directory that the next build removes.
func Build(ctx context.Context, opts BuildOptions) (*Summary, error) {
	opts.setDefaults()
	start := time.Now()
	if len(opts.Sources) == 0 {
		return nil, errors.New("build: no source folders")
	}
	if err := os.MkdirAll(opts.IndexDir, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	lock, err := acquireBuildLock(opts.IndexDir)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer lock.release()

	live := ""
	if cur, err := CurrentGeneration(opts.IndexDir); err == nil {
		live = filepath.Base(cur)
	}
	// Debris of killed builds goes first, so a full disk is not made fuller.
	if err := cleanGenerations(opts.IndexDir, live); err != nil {
		return nil, fmt.Errorf("build: clean old generations: %w", err)
	}

	files, err := listPages(opts.Sources)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}

	name := newGenerationName(start)
	tmpPath := filepath.Join(opts.IndexDir, name+buildingSuffix)
	idx, err := bleve.New(tmpPath, NewMapping())
	if err != nil {
		os.RemoveAll(tmpPath)
		return nil, fmt.Errorf("build: create index: %w", err)
	}
	sum := &Summary{Generation: name}
	buildErr := fill(ctx, idx, files, opts, sum)
	if buildErr == nil {
		buildErr = compact(ctx, idx, filepath.Join(tmpPath, "store"))
	}
	if cerr := idx.Close(); buildErr == nil && cerr != nil {
		buildErr = fmt.Errorf("close index: %w", cerr)
	}
	if buildErr == nil {
		buildErr = writeMeta(tmpPath, sum)
	}
	if buildErr != nil {
		os.RemoveAll(tmpPath)
		return sum, fmt.Errorf("build: %w", buildErr)
	}
	final := filepath.Join(opts.IndexDir, name)
	if err := os.Rename(tmpPath, final); err != nil {
		os.RemoveAll(tmpPath)
		return sum, fmt.Errorf("build: publish generation: %w", err)
	}
	if err := syncDir(opts.IndexDir); err != nil {
		return sum, fmt.Errorf("build: %w", err)
	}
	if err := switchCurrent(opts.IndexDir, name); err != nil {
		os.RemoveAll(final)
		return sum, fmt.Errorf("build: %w", err)
	}
	sum.Elapsed = time.Since(start)
	// Old generations are an optimisation to remove; failing to is not a failed build.
	_ = cleanGenerations(opts.IndexDir, name)
	return sum, nil
}

// compact merges the finished index into one segment. A generation is never
// written again, and a search reads every segment's dictionary, postings and
// doc values, so a single segment takes about a third less CPU per query
// than the dozen or so the background merger leaves. Scorch records the
// merged segment and deletes the files it replaced in the background, which
// Close does not wait for; compact waits, so the generation holds only live
// files. Past the deadline the old files stay: that costs disk, not results.
func compact(ctx context.Context, idx bleve.Index, storeDir string) error {
	adv, err := idx.Advanced()
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	// The heap the build peaked at is mostly garbage by now; give it back to
	// the OS before the merge maps every segment file, or the two add up in
	// the indexer's peak RSS (8× corpus: 1.2 GB of heap + 0.25 GB of mapped
	// segments; returned first, the merge runs in 0.7 GB).
	debug.FreeOSMemory()
	opts := mergeplan.SingleSegmentMergePlanOptions
	// One merge task for all segments: the default of 10 per task leaves
	// several segments behind.
	opts.SegmentsPerMergeTask = math.MaxInt32
	if err := sc.ForceMerge(ctx, &opts); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		stats := sc.StatsMap()
		root, _ := stats["CurRootEpoch"].(uint64)
		persisted, _ := stats["LastPersistedEpoch"].(uint64)
		segments, _ := stats["TotFileSegmentsAtRoot"].(uint64)
		files, _ := filepath.Glob(filepath.Join(storeDir, "*.zap"))
		if persisted >= root && uint64(len(files)) <= segments {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// pageFile is a page to index; rel is its path relative to its source
// folder, used in reports and as the document's source.
type pageFile struct {
	path, rel string
	size      int64
}

func listPages(sources []string) ([]pageFile, error) {
	var files []pageFile
	for _, src := range sources {
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("source %s: not a directory", src)
		}
		err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".txt") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				rel = path
			}
			files = append(files, pageFile{path: path, rel: filepath.ToSlash(rel), size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", src, err)
		}
	}
	// Sorted input makes the build, the summary and duplicate resolution
	// independent of directory order.
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// relatedAcc collects one deduplicated related item across pages. Pages are
// read in parallel, so everything order-dependent is keyed by the page's
// index in the sorted file list: the item's text comes from the first page
// that has it and its articles are listed in page order, whatever order the
// workers finish in, so two builds of the same pages store the same documents.
type relatedAcc struct {
	item     RelatedItem
	articles []pageArticle
	order    int // index of the first page with the item
}

// pageArticle is an article id with the index of its page.
type pageArticle struct {
	page int
	id   string
}

// articleIDs returns the ids in page order.
func (a *relatedAcc) articleIDs() []string {
	sort.Slice(a.articles, func(i, j int) bool { return a.articles[i].page < a.articles[j].page })
	ids := make([]string, len(a.articles))
	for i, pa := range a.articles {
		ids[i] = pa.id
	}
	return ids
}

type buildState struct {
	opts BuildOptions
	idx  bleve.Index

	relIDMu sync.RWMutex
	relIDs  map[[2]string]string // see relatedID

	mu       sync.Mutex
	sum      *Summary
	articles map[string]bool
	related  map[string]*relatedAcc

	total      int
	done, docs atomic.Int64
}

func fill(ctx context.Context, idx bleve.Index, files []pageFile, opts BuildOptions, sum *Summary) error {
	st := &buildState{
		opts:     opts,
		idx:      idx,
		total:    len(files),
		sum:      sum,
		articles: make(map[string]bool, len(files)),
		related:  make(map[string]*relatedAcc, len(files)*2),
		relIDs:   make(map[[2]string]string, len(files)*2),
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := idx.NewBatch()
			for i := range jobs {
				if err := st.indexPage(i, files[i], batch); err != nil {
					cancel(err)
					return
				}
				if batch.Size() >= opts.BatchSize {
					if err := st.flush(batch); err != nil {
						cancel(err)
						return
					}
				}
			}
			if err := st.flush(batch); err != nil {
				cancel(err)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return st.indexRelated(ctx)
}

func (st *buildState) flush(b *bleve.Batch) error {
	if b.Size() == 0 {
		return nil
	}
	n := b.Size()
	if err := st.idx.Batch(b); err != nil {
		return fmt.Errorf("index batch: %w", err)
	}
	b.Reset()
	st.docs.Add(int64(n))
	return nil
}

// relatedID is RelatedID memoised on the item's exact title and snippet.
// The same items recur on many pages (the corpus has 101k related slots for
// 7k distinct items), and folding and hashing every copy took a tenth of
// the build's CPU. The key is a copy, so it does not pin the page's text.
func (st *buildState) relatedID(it RelatedItem) string {
	key := [2]string{it.Title, it.Snippet}
	st.relIDMu.RLock()
	id, ok := st.relIDs[key]
	st.relIDMu.RUnlock()
	if ok {
		return id
	}
	id = RelatedID(it)
	st.relIDMu.Lock()
	st.relIDs[[2]string{strings.Clone(it.Title), strings.Clone(it.Snippet)}] = id
	st.relIDMu.Unlock()
	return id
}

// indexPage parses one page and adds its article to the batch. Problems with
// the page are recorded in the summary, never returned: only index errors
// stop the build.
func (st *buildState) indexPage(pageIdx int, f pageFile, batch *bleve.Batch) error {
	defer func() {
		st.done.Add(1)
		if st.opts.Progress != nil {
			st.opts.Progress(Progress{PagesTotal: st.total, PagesDone: int(st.done.Load()), Docs: int(st.docs.Load())})
		}
	}()
	page, err := readPage(f)
	if err != nil {
		st.mu.Lock()
		st.sum.Skipped = append(st.sum.Skipped, Skipped{File: f.path, Reason: err.Error()})
		st.mu.Unlock()
		return nil
	}
	id := ArticleID(f.rel)
	rids := make([]string, len(page.Related))
	for i, it := range page.Related {
		rids[i] = st.relatedID(it)
	}
	relIDs := make([]string, 0, len(page.Related))
	seen := make(map[string]bool, len(page.Related))
	for _, rid := range rids {
		if !seen[rid] {
			seen[rid] = true
			relIDs = append(relIDs, rid)
		}
	}

	st.mu.Lock()
	st.sum.Pages++
	st.sum.Bytes += f.size
	for _, w := range page.Warnings {
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: w})
	}
	if st.articles[id] {
		st.sum.DuplicatePages++
		st.mu.Unlock()
		return nil
	}
	st.articles[id] = true
	st.sum.Articles++
	st.sum.RelatedSlots += len(page.Related)
	for i, it := range page.Related {
		rid := rids[i]
		acc := st.related[rid]
		switch {
		case acc == nil:
			acc = &relatedAcc{item: it, order: pageIdx}
			st.related[rid] = acc
		case pageIdx < acc.order:
			// An earlier page: its copy of the text wins, the newest date stays.
			date := max(acc.item.Date, it.Date)
			acc.item, acc.order = it, pageIdx
			acc.item.Date = date
		case it.Date > acc.item.Date:
			acc.item.Date = it.Date
		}
		if n := len(acc.articles); n == 0 || acc.articles[n-1].id != id {
			acc.articles = append(acc.articles, pageArticle{page: pageIdx, id: id})
		}
	}
	st.mu.Unlock()

	body, full := indexedBody(page.Body)
	if full > len(body) {
		st.mu.Lock()
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: fmt.Sprintf(
			"body is %d bytes; indexed and stored the first %d", full, len(body))})
		st.mu.Unlock()
	}
	doc := Document{
		ID:         id,
		Type:       TypeArticle,
		Title:      page.Title,
		Body:       body,
		Date:       ArticleDate(page),
		RelatedIDs: relIDs,
		Source:     f.rel,
	}
	st.enrich(&doc, body)
	return batch.Index(id, doc)
}

// MaxBodyBytes caps the body text of one article that is indexed and
// stored. Real articles are 3-20 KB. Analysis holds every token of a
// document with its term vector until the batch is written, ~100 bytes of
// heap per byte of Chinese text, so an 8 MB page of one repeated word took
// most of a gigabyte per worker; and every search hitting a stored body
// highlights all of it.
const MaxBodyBytes = 256 << 10

// indexedBody joins the paragraphs and cuts the text to MaxBodyBytes, on a
// paragraph break when that keeps at least half, else on a character
// boundary. It also returns the length of the whole body.
func indexedBody(paras []string) (body string, full int) {
	body = strings.Join(paras, "\n")
	if len(body) <= MaxBodyBytes {
		return body, len(body)
	}
	cut := MaxBodyBytes
	if nl := strings.LastIndexByte(body[:cut], '\n'); nl >= MaxBodyBytes/2 {
		cut = nl
	} else {
		for !utf8.RuneStart(body[cut]) {
			cut--
		}
	}
	// A copy, so the document does not pin the whole joined text.
	return strings.Clone(body[:cut]), len(body)
}

func readPage(f pageFile) (*Page, error) {
	if f.size > MaxPageBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, f.size, MaxPageBytes)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	return ParsePage(data)
}

func (st *buildState) enrich(doc *Document, text string) {
	if len(doc.Date) >= 7 {
		doc.Month = doc.Date[:7]
	}
	if st.opts.Enrich != nil {
		e := st.opts.Enrich(doc.Title, text)
		doc.Provinces, doc.Cities, doc.Topics = e.Provinces, e.Cities, e.Topics
	}
}

// indexRelated writes the deduplicated related items once every page is
// read, because an item's article list is only complete then.
func (st *buildState) indexRelated(ctx context.Context) error {
	accs := make([]*relatedAcc, 0, len(st.related))
	for _, a := range st.related {
		accs = append(accs, a)
	}
	sort.Slice(accs, func(i, j int) bool {
		if accs[i].order != accs[j].order {
			return accs[i].order < accs[j].order
		}
		return RelatedID(accs[i].item) < RelatedID(accs[j].item)
	})
	st.sum.RelatedItems = len(accs)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan *relatedAcc)
	var wg sync.WaitGroup
	for w := 0; w < st.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := st.idx.NewBatch()
			for a := range jobs {
				doc := Document{
					ID:         RelatedID(a.item),
					Type:       TypeRelated,
					Title:      a.item.Title,
					Snippet:    a.item.Snippet,
					Date:       a.item.Date,
					ArticleIDs: a.articleIDs(),
				}
				st.enrich(&doc, a.item.Snippet)
				if err := batch.Index(doc.ID, doc); err != nil {
					cancel(err)
					return
				}
				if batch.Size() >= st.opts.BatchSize {
					if err := st.flush(batch); err != nil {
						cancel(err)
						return
					}
				}
			}
			if err := st.flush(batch); err != nil {
				cancel(err)
			}
		}()
	}
feed:
	for _, a := range accs {
		select {
		case jobs <- a:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// meta.json records what a generation holds, for operators and /readyz.
const metaFile = "healthsearch-meta.json"

// GenerationMeta is stored beside each generation's index files.
type GenerationMeta struct {
	Generation   string    `json:"generation"`
	BuiltAt      time.Time `json:"built_at"`
	Pages        int       `json:"pages"`
	Articles     int       `json:"articles"`
	RelatedItems int       `json:"related_items"`
	Skipped      int       `json:"skipped"`
}

func writeMeta(dir string, sum *Summary) error {
	meta := GenerationMeta{
		Generation:   sum.Generation,
		BuiltAt:      time.Now().UTC(),
		Pages:        sum.Pages,
		Articles:     sum.Articles,
		RelatedItems: sum.RelatedItems,
		Skipped:      len(sum.Skipped),
	}
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, metaFile), data, 0o644)
}

// ReadGenerationMeta reads the metadata of the generation at path.
func ReadGenerationMeta(path string) (GenerationMeta, error) {
	var m GenerationMeta
	data, err := os.ReadFile(filepath.Join(path, metaFile))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}
