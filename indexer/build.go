package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/page"
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
	// BatchSize is the number of documents per segment a worker writes
	// before the final merge; default 1000.
	BatchSize int
	// Enrich adds places and topics; nil uses the embedded gazetteer and
	// topic taxonomy.
	Enrich EnrichFunc
	// MemoryLimit, when positive, tunes the process's garbage collector for
	// the build and restores it afterwards: the heap may grow to this many
	// bytes (debug.SetMemoryLimit, GOGC 400) instead of being collected
	// whenever it doubles. The build's live heap is a few hundred megabytes
	// (the dictionary, documents in analysis) and it allocates tens of
	// gigabytes, so the default collector re-marks the same dictionary
	// every few hundred megabytes: 15% of the build's CPU, 7% with 1 GiB.
	// The settings are process-wide: only a process that does nothing else
	// meanwhile, like `healthsearch index`, should set it; a server
	// building in the background should not.
	MemoryLimit int64
	// Progress, when set, is called after each page with running totals.
	// It is called from worker goroutines and must be safe for that.
	Progress func(Progress)
}

// DefaultMemoryLimit is the MemoryLimit of `healthsearch index`. The
// process peaks at about this plus the segment files the final merge maps
// (~330 MB for the 8× benchmark corpus).
const DefaultMemoryLimit = 1 << 30

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
	if opts.MemoryLimit > 0 {
		limit := min(opts.MemoryLimit, debug.SetMemoryLimit(-1)) // a lower GOMEMLIMIT wins
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
		defer debug.SetGCPercent(debug.SetGCPercent(400))
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

	load := loadMapper()
	files, err := listPages(opts.Sources)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}

	name := newGenerationName(start)
	tmpPath := filepath.Join(opts.IndexDir, name+buildingSuffix)
	sum := &Summary{Generation: name}
	buildErr := build(ctx, tmpPath, files, load, opts, sum)
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

// build writes the index of files into the new directory path.
func build(ctx context.Context, path string, files []pageFile, load *mapperLoad, opts BuildOptions, sum *Summary) error {
	if err := os.Mkdir(path, 0o755); err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	parts := &partWriter{dir: filepath.Join(path, "parts")}
	if err := os.Mkdir(parts.dir, 0o700); err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	if err := fill(ctx, load, parts, files, opts, sum); err != nil {
		return err
	}
	if err := load.wait(ctx); err != nil {
		return err
	}
	if err := finishIndex(ctx, path, load.m, parts.parts); err != nil {
		return err
	}
	return os.RemoveAll(parts.dir)
}

// mapperLoad makes the index mapping and its document mapper in the
// background. That loads gse's dictionary, two seconds on one core, during
// which the workers already read and parse pages.
type mapperLoad struct {
	done   chan struct{}
	m      *mapping.IndexMappingImpl
	mapper *docMapper
	err    error
}

func loadMapper() *mapperLoad {
	l := &mapperLoad{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		m := NewMapping()
		if err := m.Validate(); err != nil {
			l.err = fmt.Errorf("mapping: %w", err)
			return
		}
		l.m = m
		l.mapper, l.err = newDocMapper(m)
	}()
	return l
}

func (l *mapperLoad) ready() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// wait returns once the mapper is made, with its error, or ctx's.
func (l *mapperLoad) wait(ctx context.Context) error {
	select {
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
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
	item     page.RelatedItem
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
	opts  BuildOptions
	load  *mapperLoad
	parts *partWriter

	relIDMu sync.RWMutex
	relIDs  map[[2]string]string // see relatedID

	mu       sync.Mutex
	sum      *Summary
	articles map[string]bool
	related  map[string]*relatedAcc

	total      int
	done, docs atomic.Int64
}

// maxPending bounds the pages a worker parses ahead of the dictionary.
const maxPending = 4096

func fill(ctx context.Context, load *mapperLoad, parts *partWriter, files []pageFile, opts BuildOptions, sum *Summary) error {
	st := &buildState{
		opts:     opts,
		load:     load,
		parts:    parts,
		total:    len(files),
		sum:      sum,
		articles: make(map[string]bool, len(files)),
		related:  make(map[string]*relatedAcc, len(files)*2),
		relIDs:   make(map[[2]string]string, len(files)*2),
	}
	// A fixed set of workers, each with its own batch (its own segments):
	// the first error cancels the others and the feed.
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan int)
	for w := 0; w < opts.Workers; w++ {
		g.Go(func() error {
			b := st.newBatch()
			var buf []byte
			// Articles parsed before the mapper is ready.
			var pending []*Document
			addPending := func() error {
				if err := load.wait(gctx); err != nil {
					return err
				}
				for i, doc := range pending {
					pending[i] = nil
					if err := b.add(doc); err != nil {
						return err
					}
				}
				pending = pending[:0]
				return nil
			}
			for i := range jobs {
				doc := st.indexPage(i, files[i], &buf)
				if doc == nil {
					continue
				}
				if pending = append(pending, doc); len(pending) < maxPending && !load.ready() {
					continue
				}
				if err := addPending(); err != nil {
					return err
				}
			}
			if err := addPending(); err != nil {
				return err
			}
			return b.flush()
		})
	}
feed:
	for i := range files {
		select {
		case jobs <- i:
		case <-gctx.Done():
			break feed
		}
	}
	close(jobs)
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return st.indexRelated(ctx)
}

// segmentBatch collects one worker's analysed documents until they make
// a segment.
type segmentBatch struct {
	st     *buildState
	docs   []index.Document
	fields int // fields of docs
	text   int // bytes of docs' analysed text
}

// A batch is also written out when its analysis results would take too
// much memory, whatever BatchSize says. Analysed text costs ~70 bytes of
// heap per byte (tokens, term vectors, bigrams), and every field costs the
// segment writer a few hundred bytes while it encodes the batch: a related
// item has an article id field for each page that recommends it, ~900 on
// the 8× corpus and as many as pages recommend it in a bigger one.
const (
	maxBatchFields = 256 << 10
	maxBatchText   = 2 << 20
)

func (st *buildState) newBatch() *segmentBatch {
	return &segmentBatch{st: st, docs: make([]index.Document, 0, st.opts.BatchSize)}
}

// buildDocHook, when set (by tests), sees every document a build indexes.
// It is called from the workers concurrently.
var buildDocHook func(*Document)

func (b *segmentBatch) add(d *Document) error {
	if buildDocHook != nil {
		buildDocHook(d)
	}
	mapper := b.st.load.mapper
	doc := mapper.document(d)
	mapper.analyzeDocument(doc)
	b.docs = append(b.docs, doc)
	b.fields += len(doc.Fields)
	b.text += len(d.Title) + len(d.Body) + len(d.Snippet)
	if len(b.docs) >= b.st.opts.BatchSize || b.fields >= maxBatchFields || b.text >= maxBatchText {
		return b.flush()
	}
	return nil
}

func (b *segmentBatch) flush() error {
	if len(b.docs) == 0 {
		return nil
	}
	if err := b.st.parts.write(b.docs); err != nil {
		return err
	}
	b.st.docs.Add(int64(len(b.docs)))
	clear(b.docs)
	b.docs, b.fields, b.text = b.docs[:0], 0, 0
	return nil
}

// relatedID is RelatedID memoised on the item's exact title and snippet.
// The same items recur on many pages (the corpus has 101k related slots for
// 7k distinct items), and folding and hashing every copy took a tenth of
// the build's CPU. The key is a copy, so it does not pin the page's text.
func (st *buildState) relatedID(it page.RelatedItem) string {
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

// indexPage parses one page and returns its article, or nil when the page
// is skipped or its article already indexed. Problems with the page are
// recorded in the summary.
func (st *buildState) indexPage(pageIdx int, f pageFile, buf *[]byte) *Document {
	defer func() {
		st.done.Add(1)
		if st.opts.Progress != nil {
			st.opts.Progress(Progress{PagesTotal: st.total, PagesDone: int(st.done.Load()), Docs: int(st.docs.Load())})
		}
	}()
	pg, err := readPageInto(f, buf)
	if err != nil {
		st.mu.Lock()
		st.sum.Skipped = append(st.sum.Skipped, Skipped{File: f.path, Reason: err.Error()})
		st.mu.Unlock()
		return nil
	}
	id := ArticleID(f.rel)
	rids := make([]string, len(pg.Related))
	for i, it := range pg.Related {
		rids[i] = st.relatedID(it)
	}
	relIDs := make([]string, 0, len(pg.Related))
	seen := make(map[string]bool, len(pg.Related))
	for _, rid := range rids {
		if !seen[rid] {
			seen[rid] = true
			relIDs = append(relIDs, rid)
		}
	}

	st.mu.Lock()
	st.sum.Pages++
	st.sum.Bytes += f.size
	for _, w := range pg.Warnings {
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: w})
	}
	if st.articles[id] {
		st.sum.DuplicatePages++
		st.mu.Unlock()
		return nil
	}
	st.articles[id] = true
	st.sum.Articles++
	st.sum.RelatedSlots += len(pg.Related)
	for i, it := range pg.Related {
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

	body, full := indexedBody(pg.Body)
	if full > len(body) {
		st.mu.Lock()
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: fmt.Sprintf(
			"body is %d bytes; indexed and stored the first %d", full, len(body))})
		st.mu.Unlock()
	}
	doc := &Document{
		ID:         id,
		Type:       TypeArticle,
		Title:      pg.Title,
		Body:       body,
		Date:       page.ArticleDate(pg),
		RelatedIDs: relIDs,
		Source:     f.rel,
	}
	st.enrich(doc, body)
	return doc
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

func readPage(f pageFile) (*page.Page, error) {
	var buf []byte
	return readPageInto(f, &buf)
}

// readPageInto is readPage reading into *buf, which it grows as needed:
// a worker reads tens of thousands of pages, and ParsePage copies what it
// keeps.
func readPageInto(f pageFile, buf *[]byte) (*page.Page, error) {
	if f.size > page.MaxPageBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", page.ErrTooLarge, f.size, page.MaxPageBytes)
	}
	data, err := readFile(f.path, (*buf)[:0], f.size)
	*buf = data
	if err != nil {
		return nil, err
	}
	return page.ParsePage(data)
}

// readFile appends the content of the file at path to buf, reading at most
// MaxPageBytes+1 bytes (enough for ParsePage to reject a page that grew
// since it was listed). It makes the system calls itself: os.ReadFile's
// stat, poller registration and fcntl cost more than the read of a small
// page, and a build reads every page. Errors are os.ReadFile's.
func readFile(path string, buf []byte, size int64) ([]byte, error) {
	var fd int
	var err error
	for {
		if fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return buf, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf = slices.Grow(buf, int(min(size, page.MaxPageBytes))+1)
	for len(buf) <= page.MaxPageBytes {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), page.MaxPageBytes+1-len(buf)))
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return buf, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n <= 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
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

	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan *relatedAcc)
	for w := 0; w < st.opts.Workers; w++ {
		g.Go(func() error {
			b := st.newBatch()
			for a := range jobs {
				doc := &Document{
					ID:         RelatedID(a.item),
					Type:       TypeRelated,
					Title:      a.item.Title,
					Snippet:    a.item.Snippet,
					Date:       a.item.Date,
					ArticleIDs: a.articleIDs(),
				}
				st.enrich(doc, a.item.Snippet)
				if err := b.add(doc); err != nil {
					return err
				}
			}
			return b.flush()
		})
	}
feed:
	for _, a := range accs {
		select {
		case jobs <- a:
		case <-gctx.Done():
			break feed
		}
	}
	close(jobs)
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return nil
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
	// Analysis is the fingerprint of the analysis the words were cut
	// with (fingerprint.go); nil in generations built before it existed.
	Analysis *analysis.Analysis `json:"analysis,omitempty"`
}

func writeMeta(dir string, sum *Summary) error {
	d, err := analysis.SharedDict()
	if err != nil {
		return err
	}
	if err := analysis.WriteDict(dir, d); err != nil {
		return fmt.Errorf("write dictionary: %w", err)
	}
	an := d.Analysis()
	meta := GenerationMeta{
		Analysis:     &an,
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
