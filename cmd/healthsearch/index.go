package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"healthsearch/indexer"
	"healthsearch/indexer/enrich"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runIndex(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var srcs stringList
	fs.Var(&srcs, "src", "folder of *.txt pages, searched recursively (repeatable)")
	indexDir := fs.String("index", "data/index", "index directory (generations and CURRENT)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel workers")
	dict := fs.String("dict", "", "extra gse user dictionary file (word [freq [pos]] per line)")
	topics := fs.String("topics", "", "topic taxonomy YAML file replacing the embedded one")
	quiet := fs.Bool("quiet", false, "no progress output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(srcs) == 0 {
		return fmt.Errorf("index: --src is required")
	}
	if *workers < 1 {
		return fmt.Errorf("index: --workers must be at least 1")
	}
	if *dict != "" {
		if err := indexer.AddUserDict(*dict); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	enr := enrich.Default()
	if *topics != "" {
		data, err := os.ReadFile(*topics)
		if err != nil {
			return fmt.Errorf("index: --topics: %w", err)
		}
		if enr, err = enrich.New(data); err != nil {
			return fmt.Errorf("index: --topics %s: %w", *topics, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := indexer.BuildOptions{
		Sources:  srcs,
		IndexDir: *indexDir,
		Workers:  *workers,
		Enrich:   enrichFunc(enr),
	}
	var finish func()
	if !*quiet {
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
