package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	"golang.org/x/sync/errgroup"

	"healthsearch/analysis"
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
	// Dict is the dictionary to cut the pages with: a server rebuilding
	// passes the one it serves with. nil compiles the process's from gse
	// and the user dictionaries (analysis.SharedDict). It is installed as
	// the process's, so it fails if the process already cuts with another.
	Dict *analysis.Dict
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
	if opts.Dict != nil {
		if err := analysis.SetSharedDict(opts.Dict); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
	}
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
	err := runWorkers(ctx, opts.Workers, len(files), func(gctx context.Context, jobs <-chan int) error {
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
	if err != nil {
		return err
	}
	return st.indexRelated(ctx)
}

// runWorkers runs n jobs, numbered 0 to n-1, on a fixed set of workers,
// each with its own state (its own batch, so its own segments). The first
// error cancels the others and the feed; a cancelled ctx ends it with its
// cause.
func runWorkers(ctx context.Context, workers, n int, worker func(ctx context.Context, jobs <-chan int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan int)
	for range workers {
		g.Go(func() error { return worker(gctx, jobs) })
	}
feed:
	for i := range n {
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
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
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
