package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/indexer/enrich"
	"healthsearch/search"
)

func runIndex(args []string, stdout, stderr io.Writer) error {
	cfg, rest, err := loadConfig("index", args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("index: unexpected arguments %q (sources are given with --src)", rest)
	}
	if err := loadUserDict(cfg); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	opts, err := buildOptions(cfg)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var finish func()
	if !quietProgress(cfg) {
		opts.Progress, finish = progressReporter(stderr)
	}
	sum, err := indexer.Build(ctx, opts)
	if finish != nil {
		finish()
	}
	if sum != nil {
		printSummary(stdout, sum)
	}
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return nil
}

func quietProgress(cfg Config) bool { return cfg.LogLevel == "error" }

// buildOptions turns the configuration into build options, loading the
// user dictionary and topic taxonomy it names.
func buildOptions(cfg Config) (indexer.BuildOptions, error) {
	if len(cfg.Sources) == 0 {
		return indexer.BuildOptions{}, fmt.Errorf("no sources: give --src DIR (or HEALTHSEARCH_SRC, or sources in the config file)")
	}
	enr := enrich.Default()
	if cfg.Topics != "" {
		data, err := os.ReadFile(cfg.Topics)
		if err != nil {
			return indexer.BuildOptions{}, fmt.Errorf("setting topics: %w", err)
		}
		if enr, err = enrich.New(data); err != nil {
			return indexer.BuildOptions{}, fmt.Errorf("setting topics: %s: %w", cfg.Topics, err)
		}
	}
	return indexer.BuildOptions{
		Sources:     cfg.Sources,
		IndexDir:    cfg.Index,
		Workers:     cfg.Workers,
		Enrich:      enrichFunc(enr),
		MemoryLimit: indexer.DefaultMemoryLimit,
	}, nil
}

// loadUserDict registers the extra dictionary before anything segments:
// index, serve and query must all split words the same way, or a word the
// dictionary joins in the index would be split in queries.
func loadUserDict(cfg Config) error {
	if cfg.Dict == "" {
		return nil
	}
	if err := analysis.AddUserDict(cfg.Dict); err != nil {
		return fmt.Errorf("setting dict: %w", err)
	}
	return nil
}

// loadServingDict returns the dictionary for searching the index: the one
// the live generation was built with, which it carries, so queries are cut
// as the build cut the text without loading gse (nil, with the configured
// user dictionary registered, for a generation without one). A --dict that differs from
// the generation's user dictionaries is refused. A generation from before
// generations carried their dictionary gets one compiled as configured.
func loadServingDict(cfg Config) (*analysis.Dict, error) {
	gen, err := indexer.CurrentGeneration(cfg.Index)
	if err != nil {
		return nil, loadUserDict(cfg) // no index yet: the engine's open says so
	}
	d, err := analysis.GenerationDict(gen)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, loadUserDict(cfg)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Dict != "" {
		want, err := analysis.ConfiguredAnalysis([]string{cfg.Dict})
		if err != nil {
			return nil, err
		}
		// Only the user dictionaries are the operator's to give; the rest
		// of the analysis is the generation's own.
		have := d.Analysis()
		want.Analyzer, want.Base, want.Domain = have.Analyzer, have.Base, have.Domain
		if diff := have.Diff(want); diff != "" {
			return nil, fmt.Errorf("%w: generation %s was built with %s (--dict %s); start without --dict to use the dictionary the generation carries, or rebuild the index",
				search.ErrAnalysisMismatch, filepath.Base(gen), diff, cfg.Dict)
		}
	}
	return d, nil
}

func enrichFunc(e *enrich.Enricher) indexer.EnrichFunc {
	return func(title, text string) indexer.Enrichment {
		r := e.Enrich(title, text)
		return indexer.Enrichment{Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics}
	}
}

// progressReporter shows a bar on a terminal and a log line every few
// seconds otherwise (CI logs and pipes do not want carriage returns).
func progressReporter(w io.Writer) (func(indexer.Progress), func()) {
	var mu sync.Mutex
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		var bar *progressbar.ProgressBar
		return func(p indexer.Progress) {
				mu.Lock()
				defer mu.Unlock()
				if bar == nil {
					bar = progressbar.NewOptions(p.PagesTotal,
						progressbar.OptionSetWriter(w),
						progressbar.OptionSetDescription("indexing pages"),
						progressbar.OptionShowCount(),
						progressbar.OptionShowIts(),
						progressbar.OptionSetItsString("pages"),
						progressbar.OptionThrottle(100*time.Millisecond),
						progressbar.OptionClearOnFinish())
				}
				_ = bar.Set(p.PagesDone)
			}, func() {
				mu.Lock()
				defer mu.Unlock()
				if bar != nil {
					_ = bar.Finish()
				}
			}
	}
	var last time.Time
	start := time.Now()
	return func(p indexer.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 2*time.Second && p.PagesDone != p.PagesTotal {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "indexing: %d/%d pages, %d docs written, %s\n", p.PagesDone, p.PagesTotal, p.Docs, time.Since(start).Round(time.Second))
	}, func() {}
}

func printSummary(w io.Writer, s *indexer.Summary) {
	fmt.Fprintf(w, "generation      %s\n", s.Generation)
	fmt.Fprintf(w, "pages read      %d (%.1f MB)\n", s.Pages, float64(s.Bytes)/1e6)
	fmt.Fprintf(w, "articles        %d (%d duplicate pages merged)\n", s.Articles, s.DuplicatePages)
	fmt.Fprintf(w, "related items   %d unique of %d slots\n", s.RelatedItems, s.RelatedSlots)
	fmt.Fprintf(w, "skipped         %d\n", len(s.Skipped))
	for _, sk := range s.Skipped {
		fmt.Fprintf(w, "  %s: %s\n", sk.File, sk.Reason)
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(w, "warnings        %d\n", len(s.Warnings))
		for i, wa := range s.Warnings {
			if i == 20 {
				fmt.Fprintf(w, "  … %d more\n", len(s.Warnings)-20)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", wa.File, wa.Reason)
		}
	}
	fmt.Fprintf(w, "elapsed         %s (%.0f docs/s)\n", s.Elapsed.Round(time.Millisecond), s.DocsPerSecond())
}
