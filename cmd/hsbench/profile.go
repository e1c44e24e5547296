package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"healthsearch/analysis"
	"healthsearch/bench"
	"healthsearch/indexer"
	"healthsearch/search"
)

// runProfile runs a build (of the smallest scale) or the query list in this
// process with the CPU profiler on, for `go tool pprof`.
func runProfile(ctx context.Context, o options, stderr io.Writer) error {
	log := &logger{w: stderr, start: time.Now()}
	if o.profile == "search" {
		// As a server does: the generation's own dictionary, no gse.
		gen, err := indexer.CurrentGeneration(o.indexDir)
		if err != nil {
			return err
		}
		d, err := analysis.GenerationDict(gen)
		if err != nil {
			return err
		}
		if err := analysis.SetSharedDict(d); err != nil {
			return err
		}
	} else if _, err := loadDictionary(); err != nil {
		return err
	}
	log.step("dictionary loaded")
	var work func() error
	switch o.profile {
	case "build":
		corpus, err := ensureCorpus(ctx, o, log)
		if err != nil {
			return err
		}
		srcs, err := sources(o, corpus, o.scales[0])
		if err != nil {
			return err
		}
		dir := filepath.Join(o.cache, "bench", "profile-index")
		work = func() error {
			os.RemoveAll(dir)
			sum, err := indexer.Build(ctx, indexer.BuildOptions{Sources: srcs, IndexDir: dir, Workers: o.workers, MemoryLimit: indexer.DefaultMemoryLimit})
			if err != nil {
				return err
			}
			log.step("built %d docs in %s (%.0f docs/s)", sum.Docs(), sum.Elapsed.Round(time.Millisecond), sum.DocsPerSecond())
			return nil
		}
	case "search":
		eng, err := search.Open(o.indexDir, search.Options{})
		if err != nil {
			return err
		}
		defer eng.Close()
		var queries []string
		for _, f := range strings.Split(o.profileQueries, ",") {
			qs, err := bench.ReadQueries(filepath.Join(o.repo, f))
			if err != nil {
				return err
			}
			queries = append(queries, qs...)
		}
		work = func() error {
			start := time.Now()
			n := 0
			for pass := 0; pass < 5; pass++ {
				for _, q := range queries {
					req := search.Request{Query: q, Sort: search.SortRelevance, Page: 1, Size: search.DefaultPageSize}
					if _, err := eng.Search(ctx, req); err != nil {
						return fmt.Errorf("search %q: %w", q, err)
					}
					n++
				}
			}
			el := time.Since(start)
			log.step("%d searches in %s: %.2f ms each", n, el.Round(time.Millisecond), el.Seconds()*1000/float64(n))
			return nil
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuTime()
	if err := work(); err != nil {
		return err
	}
	log.step("CPU time of the work: %.2fs (the wall time above suffers from other load; this less so); peak RSS %.0f MB",
		(cpuTime() - cpu0).Seconds(), float64(peakRSS())/1e6)
	if o.memProfile != "" {
		f, err := os.Create(o.memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		runtime.GC()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	return nil
}

// cpuTime is the user + system time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is this process's peak resident set size in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
