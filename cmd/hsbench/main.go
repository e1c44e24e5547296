// Command hsbench is the benchmark suite behind `make bench`: it indexes the
// seeds plus the generated corpus at 1× and 8×, measures the bare gse bound
// over the same text, serves the 8× index and measures cold start, latency,
// throughput and memory, then writes bench/results.json and
// bench/results.md and prints the table.
//
//	hsbench [-cache .cache] [-out bench] [-scales 1,8] [-workers N]
//	hsbench -profile build  -cpuprofile build.prof [-scales 1]
//	hsbench -profile search -cpuprofile search.prof -index DIR
//
// The programs it measures (healthsearch, hsload) run as child processes,
// so their peak RSS comes from the kernel's accounting of each child alone.
// The profile modes run a build or the query list in this process instead,
// under pprof, to find what dominates.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hsbench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	repo         string // repository root: seeds/, corpus/, bench/queries.txt
	cache        string // generated corpus, binaries and indexes
	out          string // where results.json and results.md go
	goCmd        string
	python       string
	scales       []int
	workers      int
	warmup       int           // requests at 1 client before the latency run, not counted
	latencyReqs  int           // requests of the 1-client latency run
	qpsClients   int           // clients of the throughput run
	qpsDuration  time.Duration // length of the throughput run
	keep         bool          // keep the indexes in the cache afterwards
	race         bool          // run the naive baseline beside ours at each scale
	raceDuration time.Duration // length of each engine's throughput run in the race

	profile    string // "", "build" or "search"
	cpuProfile string
	memProfile string
	indexDir   string // -profile search: the index to query
	// profileQueries are the query files of -profile search, relative to
	// the repository, comma-separated.
	profileQueries string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("hsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.repo, "repo", ".", "repository root (seeds/, corpus/, bench/queries.txt)")
	fs.StringVar(&o.cache, "cache", ".cache", "cache directory: corpus pages, binaries, indexes")
	fs.StringVar(&o.out, "out", "bench", "directory for results.json and results.md")
	fs.StringVar(&o.goCmd, "go", envOr("GO", "go"), "go command used to build the measured programs")
	fs.StringVar(&o.python, "python", envOr("PYTHON", "python3"), "python used to generate the corpus")
	scales := fs.String("scales", "1,8,32", "corpus copies to index and race the naive engine on, comma-separated; the 8× index (else the largest) is served")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "index workers, and gse-bound workers")
	fs.IntVar(&o.warmup, "warmup", 350, "requests at 1 client before the latency run (not counted)")
	fs.IntVar(&o.latencyReqs, "latency-requests", 1050, "requests of the 1-client latency run")
	fs.IntVar(&o.qpsClients, "qps-clients", 8, "clients of the throughput run")
	fs.DurationVar(&o.qpsDuration, "qps-duration", 20*time.Second, "length of the throughput run")
	fs.BoolVar(&o.keep, "keep", false, "keep the indexes under the cache directory")
	fs.BoolVar(&o.race, "race", true, "at each scale, race the naive baseline (eval/baseline) on the same documents and queries")
	fs.DurationVar(&o.raceDuration, "race-duration", 10*time.Second, "length of each engine's throughput run in the race")
	fs.StringVar(&o.profile, "profile", "", `profile in process instead of benchmarking: "build" or "search"`)
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "with -profile: write a CPU profile here")
	fs.StringVar(&o.memProfile, "memprofile", "", "with -profile: write a heap profile here at the end")
	fs.StringVar(&o.indexDir, "index", "", "with -profile search: index directory to query")
	fs.StringVar(&o.profileQueries, "queries", "bench/queries.txt", "with -profile search: query files, comma-separated (bench/questions.txt: the long questions)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(*scales, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 64 {
			return o, fmt.Errorf("-scales: %q is not a number of copies from 1 to 64", s)
		}
		o.scales = append(o.scales, n)
	}
	switch {
	case o.workers < 1:
		return o, fmt.Errorf("-workers %d: want at least 1", o.workers)
	case o.latencyReqs < 1 || o.qpsClients < 1 || o.qpsDuration <= 0:
		return o, errors.New("-latency-requests, -qps-clients and -qps-duration must be positive")
	case o.profile != "" && o.profile != "build" && o.profile != "search":
		return o, fmt.Errorf(`-profile %q: want "build" or "search"`, o.profile)
	case o.profile == "search" && o.indexDir == "":
		return o, errors.New("-profile search needs -index DIR")
	}
	return o, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	for _, p := range []*string{&o.repo, &o.cache, &o.out} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The engine's own configuration must not leak into what is measured.
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "HEALTHSEARCH_") {
			os.Unsetenv(name)
		}
	}
	if o.profile != "" {
		return runProfile(ctx, o, stderr)
	}
	res, err := benchmark(ctx, o, stderr)
	if err != nil {
		return err
	}
	md := markdown(res)
	if err := writeResults(o.out, res, md); err != nil {
		return err
	}
	fmt.Fprint(stdout, "\n"+md)
	return nil
}

// logger prints a progress line with the time since start.
type logger struct {
	w     io.Writer
	start time.Time
}

func (l *logger) step(format string, args ...any) {
	fmt.Fprintf(l.w, "== [%4.0fs] %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}
