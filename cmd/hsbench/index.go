package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/page"
)

// IndexRun is one build of the index, with the gse bound over its text.
type IndexRun struct {
	Copies   int      `json:"copies"`
	Sources  []string `json:"sources"`
	Pages    int      `json:"pages"`
	PagesMB  float64  `json:"pages_mb"`
	Articles int      `json:"articles"`
	// Merged counts pages whose article was already indexed from another
	// page (the same id); their text is counted in TextMB all the same.
	Merged    int `json:"duplicate_pages_merged"`
	Related   int `json:"related_items"`
	Documents int `json:"documents"`
	// TextMB is the text that is analysed: title and body of each article,
	// title and snippet of each distinct related item.
	TextMB float64 `json:"text_mb"`
	// ElapsedS is the wall time of the `healthsearch index` process, from
	// exec to exit; BuildS the build's own timing (Summary.Elapsed), which
	// also includes loading the dictionary.
	ElapsedS    float64 `json:"elapsed_s"`
	BuildS      float64 `json:"build_s"`
	DocsPerS    float64 `json:"docs_per_s"`
	MBPerS      float64 `json:"text_mb_per_s"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	CPUS        float64 `json:"cpu_s"` // user + system time of the process
	IndexSizeMB float64 `json:"index_size_mb"`
	Gse         GseRun  `json:"gse_bound"`
	// OfGse is the gse bound's elapsed divided by the indexing elapsed:
	// the indexer's throughput as a fraction of bare segmentation.
	OfGse float64 `json:"of_gse_bound"`
}

// GseRun is the bare gse bound: the same dictionary (analysis.Segmenter)
// and the same text, cut by the same number of workers. The bound is gse's
// search mode, CutSearch(text, false): the DAG without HMM that our
// tokenizer runs on each Han run, plus the dictionary sub-words that it also
// emits. Plain Cut(text, false), without the sub-words, is reported beside.
type GseRun struct {
	Mode     string  `json:"mode"`
	Workers  int     `json:"workers"`
	LoadS    float64 `json:"dict_load_s"`
	CutS     float64 `json:"cut_s"`
	ElapsedS float64 `json:"elapsed_s"` // LoadS + CutS, to compare with a process that loads too
	MBPerS   float64 `json:"text_mb_per_s"`
	// PlainCutMBPerS is Cut(text, false) over the same text.
	PlainCutMBPerS float64 `json:"plain_cut_mb_per_s"`
}

// indexScale builds the index of scale n with the healthsearch binary and
// measures the gse bound over the same pages just before it, so both see
// the machine in the same state.
func indexScale(ctx context.Context, o options, bin, indexDir string, srcs []string, n int, dictLoad time.Duration, log *logger) (*IndexRun, error) {
	r := &IndexRun{Copies: n, Sources: srcs}
	texts, err := collectTexts(srcs)
	if err != nil {
		return nil, err
	}
	var textBytes int
	for _, t := range texts {
		textBytes += len(t)
	}
	r.TextMB = float64(textBytes) / 1e6
	log.step("%d×: gse bound over %.1f MB of text, %d workers", n, r.TextMB, o.workers)
	seg, err := analysis.Segmenter()
	if err != nil {
		return nil, err
	}
	cut, err := gseBound(ctx, texts, o.workers, func(t string) { seg.CutSearch(t, false) })
	if err != nil {
		return nil, err
	}
	plain, err := gseBound(ctx, texts, o.workers, func(t string) { seg.Cut(t, false) })
	if err != nil {
		return nil, err
	}
	texts = nil
	r.Gse = GseRun{
		Mode: "CutSearch(text, false)", Workers: o.workers,
		LoadS: dictLoad.Seconds(), CutS: cut.Seconds(),
		ElapsedS: (dictLoad + cut).Seconds(), MBPerS: r.TextMB / cut.Seconds(),
		PlainCutMBPerS: r.TextMB / plain.Seconds(),
	}

	log.step("%d×: healthsearch index (%d workers)", n, o.workers)
	if err := os.RemoveAll(indexDir); err != nil {
		return nil, err
	}
	args := []string{"index", "--index", indexDir, "--workers", strconv.Itoa(o.workers), "--log-level", "error"}
	for _, s := range srcs {
		args = append(args, "--src", s)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("healthsearch index: %w\n%s", err, out.String())
	}
	if err := parseSummary(out.String(), r); err != nil {
		return nil, err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.PeakRSSMB = float64(ru.Maxrss) * 1024 / 1e6 // Linux reports kB
	r.CPUS = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	r.ElapsedS = elapsed.Seconds()
	r.Documents = r.Articles + r.Related
	r.DocsPerS = float64(r.Documents) / r.ElapsedS
	r.MBPerS = r.TextMB / r.ElapsedS
	r.OfGse = r.Gse.ElapsedS / r.ElapsedS
	gen, err := indexer.CurrentGeneration(indexDir)
	if err != nil {
		return nil, err
	}
	size, err := dirSize(gen)
	if err != nil {
		return nil, err
	}
	r.IndexSizeMB = float64(size) / 1e6
	log.step("%d×: %d docs in %.1fs (%.0f docs/s, %.2f MB/s, %.0f%% of gse's %.2f MB/s), peak RSS %.0f MB",
		n, r.Documents, r.ElapsedS, r.DocsPerS, r.MBPerS, 100*r.OfGse, r.Gse.MBPerS, r.PeakRSSMB)
	return r, nil
}

var summaryLines = []struct {
	re  *regexp.Regexp
	set func(r *IndexRun, m []string)
}{
	{regexp.MustCompile(`(?m)^pages read\s+(\d+) \(([\d.]+) MB\)`), func(r *IndexRun, m []string) {
		r.Pages, _ = strconv.Atoi(m[1])
		r.PagesMB, _ = strconv.ParseFloat(m[2], 64)
	}},
	{regexp.MustCompile(`(?m)^articles\s+(\d+) \((\d+) duplicate`), func(r *IndexRun, m []string) {
		r.Articles, _ = strconv.Atoi(m[1])
		r.Merged, _ = strconv.Atoi(m[2])
	}},
	{regexp.MustCompile(`(?m)^related items\s+(\d+)`), func(r *IndexRun, m []string) { r.Related, _ = strconv.Atoi(m[1]) }},
	{regexp.MustCompile(`(?m)^elapsed\s+(\S+)`), func(r *IndexRun, m []string) {
		d, _ := time.ParseDuration(m[1])
		r.BuildS = d.Seconds()
	}},
}

// parseSummary reads the figures `healthsearch index` prints at the end.
func parseSummary(out string, r *IndexRun) error {
	for _, l := range summaryLines {
		m := l.re.FindStringSubmatch(out)
		if m == nil {
			return fmt.Errorf("healthsearch index: no %q in its summary:\n%s", l.re, out)
		}
		l.set(r, m)
	}
	return nil
}

// collectTexts reads the pages under srcs as the build does and returns
// the text it analyses: each article's title and body, and each distinct
// related item's title and snippet (distinct by indexer.RelatedID). Every
// page is an article: ids come from the page's path, so copies are not
// merged.
func collectTexts(srcs []string) ([]string, error) {
	var paths []string
	for _, src := range srcs {
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(path), ".txt") {
				paths = append(paths, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	texts := make([]string, 0, len(paths)*2)
	seen := map[string]bool{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		page, err := page.ParsePage(data)
		if err != nil {
			continue // the build skips it too
		}
		texts = append(texts, page.Title+"\n"+strings.Join(page.Body, "\n"))
		for _, it := range page.Related {
			if id := indexer.RelatedID(it); !seen[id] {
				seen[id] = true
				texts = append(texts, it.Title+"\n"+it.Snippet)
			}
		}
	}
	return texts, nil
}

// gseBound runs cut over every text on workers goroutines and returns the
// wall time.
func gseBound(ctx context.Context, texts []string, workers int, cut func(string)) (time.Duration, error) {
	jobs := make(chan string, 256)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				cut(t)
			}
		}()
	}
	for _, t := range texts {
		if ctx.Err() != nil {
			break
		}
		jobs <- t
	}
	close(jobs)
	wg.Wait()
	return time.Since(start), ctx.Err()
}

// loadDictionary loads the shared segmenter and returns how long it took.
func loadDictionary() (time.Duration, error) {
	start := time.Now()
	_, err := analysis.Segmenter()
	return time.Since(start), err
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

// readProcStatus returns the kB figures of /proc/<pid>/status keys
// (VmRSS, VmHWM …).
func readProcStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(key, "Vm") {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) > 0 {
			out[key], _ = strconv.ParseInt(fields[0], 10, 64)
		}
	}
	return out, sc.Err()
}
