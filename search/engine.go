package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
	"healthsearch/indexer"
)

// ErrNotFound is returned for unknown document ids.
var ErrNotFound = errors.New("not found")

// Options configure an Engine.
type Options struct {
	// Vocabulary holds stop words and synonyms; nil uses the embedded one.
	Vocabulary *Vocabulary
	// Logger receives reload events; nil discards them.
	Logger *slog.Logger
	// OnReload, when set, is called after every reload attempt.
	OnReload func(generation string, err error)
	// Dict is the dictionary queries are cut with: the one the live
	// generation carries (analysis.GenerationDict), so queries are cut as
	// its text was. nil uses the process's (analysis.SharedDict). A
	// generation whose fingerprint differs from it is refused.
	Dict *analysis.Dict
	// WorkBudget bounds the matching documents one pass of a search
	// visits (0: DefaultWorkBudget). A search that runs out answers with
	// what it collected, marked Result.Partial, rather than timing out:
	// no query can make a server scan without end.
	WorkBudget int
}

func (e *Engine) workBudget() int {
	if e.opts.WorkBudget > 0 {
		return e.opts.WorkBudget
	}
	return DefaultWorkBudget
}

// DefaultWorkBudget is enough for a full scan of an index of a million
// documents: it bounds hostile and pathological queries, not real ones
// (the 8× benchmark index has 65k documents).
const DefaultWorkBudget = 1 << 20

// Engine answers searches over the live generation of an index directory
// and follows it when a new generation is published.
type Engine struct {
	dir   string
	opts  Options
	vocab *Vocabulary
	an    bleveanalysis.Analyzer
	log   *slog.Logger

	// alias is what searches go through: bleve's IndexAlias holds a read
	// lock for the length of a search and Swap takes the write lock, so once
	// Swap returns no search is still using the old index and it can close.
	alias bleve.IndexAlias

	// searchMu lets the searches that read a generation's snapshot finish
	// before a reload closes it: they hold it for reading, the swap for
	// writing.
	searchMu sync.RWMutex

	mu      sync.Mutex // serialises reloads
	current atomic.Pointer[generation]
	closed  atomic.Bool
}

// generation is one open index generation.
type generation struct {
	name    string
	path    string
	idx     bleve.Index
	docs    uint64
	meta    indexer.GenerationMeta
	suggest *suggester
	table   *docTable
	speller *speller
	// stats caches the BM25 statistics of the generation (scorer.go).
	stats *fieldStats
}

// Open opens the live generation of dir.
func Open(dir string, opts Options) (*Engine, error) {
	e := &Engine{dir: dir, opts: opts, vocab: opts.Vocabulary, log: opts.Logger}
	if e.vocab == nil {
		e.vocab = DefaultVocabulary()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	path, err := indexer.CurrentGeneration(dir)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if opts.Dict != nil {
		if err := analysis.SetSharedDict(opts.Dict); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	an, err := bleve.Config.Cache.AnalyzerNamed(analysis.AnalyzerName)
	if err != nil {
		return nil, fmt.Errorf("search: analyzer: %w", err)
	}
	e.an = an
	gen, err := openGeneration(path)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	e.alias = bleve.NewIndexAlias(gen.idx)
	e.current.Store(gen)
	return e, nil
}

func openGeneration(path string) (*generation, error) {
	idx, err := bleve.OpenUsing(path, map[string]interface{}{"read_only": true})
	if err != nil {
		return nil, fmt.Errorf("open generation %s: %w", filepath.Base(path), err)
	}
	n, err := idx.DocCount()
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("open generation %s: %w", filepath.Base(path), err)
	}
	meta, _ := indexer.ReadGenerationMeta(path)
	if err := checkAnalysis(meta); err != nil {
		idx.Close()
		return nil, fmt.Errorf("open generation %s: %w", filepath.Base(path), err)
	}
	g := &generation{name: filepath.Base(path), path: path, idx: idx, docs: n, meta: meta, stats: newFieldStats()}
	if err := g.load(); err != nil {
		idx.Close()
		return nil, fmt.Errorf("open generation %s: %w", filepath.Base(path), err)
	}
	return g, nil
}

// checkAnalysis refuses a generation whose words were cut with other
// dictionaries or analyzer code than this process cuts queries with: its
// queries would silently miss words. A generation from before the
// fingerprint existed cannot be checked and is served as it is.
func checkAnalysis(meta indexer.GenerationMeta) error {
	if meta.Analysis == nil {
		return nil
	}
	cur, err := analysis.CurrentAnalysis()
	if err != nil {
		return err
	}
	if d := meta.Analysis.Diff(cur); d != "" {
		return fmt.Errorf("%w: the index was built with %s; start the server without --dict to use the dictionaries the generation carries, or rebuild the index", ErrAnalysisMismatch, d)
	}
	return nil
}

// ErrAnalysisMismatch is returned for a generation built with a different
// analysis than the process's.
var ErrAnalysisMismatch = errors.New("analysis differs from the index's")

// load reads what searches and suggestions keep in memory: one pass over
// the stored documents, then the doc table's columns and the suggester,
// side by side.
func (g *generation) load() error {
	adv, err := g.idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	docs, err := readTitles(r)
	if err != nil {
		return fmt.Errorf("read titles: %w", err)
	}
	var wg sync.WaitGroup
	var tableErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.table, tableErr = loadDocTable(r, docs)
	}()
	var spellErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.speller, spellErr = buildSpeller(r)
	}()
	var suggestErr error
	g.suggest, suggestErr = buildSuggester(g.idx, docs)
	wg.Wait()
	if spellErr != nil {
		return fmt.Errorf("speller: %w", spellErr)
	}
	if tableErr != nil {
		return tableErr
	}
	if suggestErr != nil {
		return fmt.Errorf("suggestions: %w", suggestErr)
	}
	return nil
}

// snapshot returns the live generation and a reader of it, valid until
// release is called.
func (e *Engine) snapshot() (*generation, index.IndexReader, func(), error) {
	e.searchMu.RLock()
	if e.closed.Load() {
		e.searchMu.RUnlock()
		return nil, nil, nil, errors.New("engine closed")
	}
	g := e.current.Load()
	adv, err := g.idx.Advanced()
	if err != nil {
		e.searchMu.RUnlock()
		return nil, nil, nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		e.searchMu.RUnlock()
		return nil, nil, nil, err
	}
	return g, r, func() {
		_ = r.Close()
		e.searchMu.RUnlock()
	}, nil
}

// Reload swaps in the live generation if it changed. It reports whether it
// swapped. A generation that fails to open leaves the current one serving.
func (e *Engine) Reload() (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Load() {
		return false, errors.New("search: engine closed")
	}
	path, err := indexer.CurrentGeneration(e.dir)
	if err != nil {
		return false, fmt.Errorf("reload: %w", err)
	}
	old := e.current.Load()
	if old != nil && old.path == path {
		return false, nil
	}
	gen, err := openGeneration(path)
	if err != nil {
		e.report(filepath.Base(path), err)
		return false, fmt.Errorf("reload: %w", err)
	}
	e.searchMu.Lock()
	if old != nil {
		e.alias.Swap([]bleve.Index{gen.idx}, []bleve.Index{old.idx})
	} else {
		e.alias.Add(gen.idx)
	}
	e.current.Store(gen)
	e.searchMu.Unlock()
	if old != nil {
		if err := old.idx.Close(); err != nil {
			e.log.Warn("close old generation", "generation", old.name, "err", err)
		}
	}
	e.log.Info("index generation swapped in", "generation", gen.name, "docs", gen.docs)
	e.report(gen.name, nil)
	return true, nil
}

func (e *Engine) report(gen string, err error) {
	if err != nil {
		e.log.Error("index reload failed", "generation", gen, "err", err)
	}
	if e.opts.OnReload != nil {
		e.opts.OnReload(gen, err)
	}
}

// Watch polls the CURRENT pointer every interval and reloads on change until
// ctx ends. Polling a tiny file is cheap and, unlike inotify, also works on
// network and container file systems.
func (e *Engine) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.Reload(); err != nil && !errors.Is(err, indexer.ErrNoGeneration) {
				e.log.Debug("reload", "err", err)
			}
		}
	}
}

// Close closes the index.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	// The alias only marks itself closed (it takes its write lock, so
	// in-flight searches finish first); the generation's index is ours to close.
	e.searchMu.Lock()
	defer e.searchMu.Unlock()
	err := e.alias.Close()
	if g := e.current.Load(); g != nil {
		err = errors.Join(err, g.idx.Close())
	}
	return err
}

// Stats describes the live generation.
type Stats struct {
	Generation   string    `json:"generation"`
	Docs         uint64    `json:"docs"`
	Articles     int       `json:"articles"`
	RelatedItems int       `json:"related_items"`
	BuiltAt      time.Time `json:"built_at"`
}

// Stats returns facts about the live generation.
func (e *Engine) Stats() Stats {
	g := e.current.Load()
	return Stats{Generation: g.name, Docs: g.docs, Articles: g.meta.Articles, RelatedItems: g.meta.RelatedItems, BuiltAt: g.meta.BuiltAt}
}

// Ready checks that the index answers a query.
func (e *Engine) Ready(ctx context.Context) error {
	if e.closed.Load() {
		return errors.New("engine closed")
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1, 0, false)
	_, err := e.alias.SearchInContext(ctx, req)
	return err
}
