package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Target is one goal of issue 9 and how the run did against it.
type Target struct {
	Name     string  `json:"name"`
	Goal     string  `json:"goal"`
	Measured string  `json:"measured"`
	Met      bool    `json:"met"`
	Value    float64 `json:"value"`
	Limit    float64 `json:"limit"`
}

// targets judges the largest scale and the server against the goals.
func targets(res *Results) []Target {
	var out []Target
	add := func(name, goal string, value, limit float64, atMost bool, format string) {
		met := value <= limit
		if !atMost {
			met = value >= limit
		}
		out = append(out, Target{Name: name, Goal: goal, Measured: fmt.Sprintf(format, value), Met: met, Value: value, Limit: limit})
	}
	if n := len(res.Index); n > 0 {
		big := res.Index[n-1]
		add(fmt.Sprintf("indexing throughput, %d×", big.Copies), "≥ 70% of bare gse CutSearch", 100*big.OfGse, 70, false, "%.0f%%")
		add(fmt.Sprintf("indexing peak RSS, %d×", big.Copies), "≤ 1.5 GB", big.PeakRSSMB, 1500, true, "%.0f MB")
	}
	if s := res.Serve; s != nil {
		at := fmt.Sprintf(", %d×", servedCopies(res))
		add("cold start"+at, "≤ 1.0 s", s.ColdStartS, 1, true, "%.2f s")
		add("latency p50, 1 client"+at, "≤ 3 ms", s.Latency.P50MS, 3, true, "%.2f ms")
		add("latency p99, 1 client"+at, "≤ 20 ms", s.Latency.P99MS, 20, true, "%.2f ms")
		add("server RSS while serving (VmHWM)"+at, "≤ 300 MB", s.HWMMB, 300, true, "%.0f MB")
	}
	if n := len(res.Race); n > 1 && res.Race[0].Copies == 1 && res.Race[n-1].Copies == 32 {
		one, big := res.Race[0], res.Race[n-1]
		growth := func(a, b float64) float64 {
			if a == 0 {
				return 0
			}
			return b / a
		}
		add("short p99 at 32× ÷ at 1×", "≤ 3", growth(one.Ours.Short.P99MS, big.Ours.Short.P99MS), 3, true, "%.1f")
		add("long p99 at 32× ÷ at 1×", "≤ 3", growth(one.Ours.Long.P99MS, big.Ours.Long.P99MS), 3, true, "%.1f")
	}
	if len(res.Index) > 1 {
		var eight, big *IndexRun
		for _, r := range res.Index {
			if r.Copies == 8 {
				eight = r
			}
			if r.Copies == 32 {
				big = r
			}
		}
		if eight != nil && big != nil && eight.ElapsedS > 0 {
			add("build 32× ÷ build 8×", "≤ 4.5", big.ElapsedS/eight.ElapsedS, 4.5, true, "%.2f")
		}
	}
	for _, r := range res.Race {
		add(fmt.Sprintf("mixed p50, 1 client, ours ÷ naive, %d×", r.Copies), "≤ 1.0", r.Ratio.MixedP50, 1, true, "%.2f")
		add(fmt.Sprintf("mixed p99, 1 client, ours ÷ naive, %d×", r.Copies), "≤ 1.0", r.Ratio.MixedP99, 1, true, "%.2f")
		add(fmt.Sprintf("mixed QPS, %d clients, ours ÷ naive, %d×", r.Ours.MixedQPS.Clients, r.Copies), "≥ 1.0", r.Ratio.QPS, 1, false, "%.2f")
		if r.Copies == 1 {
			add("long questions p50, 1 client, 1×", "≤ 5 ms", r.Ours.Long.P50MS, 5, true, "%.2f ms")
		}
		if r.Copies == 8 {
			add("slowest query of death ÷ short p50, 1 client, 8×", "< 10", r.Ratio.HostileMaxOverShortP50, 10, true, "%.1f")
		}
	}
	return out
}

// columns writes the head of a table with a column per run and returns
// the function that writes a row of it.
func columns[T any](b *strings.Builder, title string, runs []T, head func(T) string) func(name string, cell func(T) string) {
	fmt.Fprintf(b, "| %s |", title)
	for _, r := range runs {
		fmt.Fprintf(b, " %s |", head(r))
	}
	b.WriteString("\n|---|")
	for range runs {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	return func(name string, cell func(T) string) {
		fmt.Fprintf(b, "| %s |", name)
		for _, r := range runs {
			fmt.Fprintf(b, " %s |", cell(r))
		}
		b.WriteString("\n")
	}
}

// servedCopies is the scale the serving figures are of.
func servedCopies(res *Results) int {
	if res.ServedCopies > 0 {
		return res.ServedCopies
	}
	return res.Index[len(res.Index)-1].Copies
}

// markdown renders the results as the tables the README shows.
func markdown(res *Results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "Machine: %d × %s, %s GB RAM, %s, %s; %d index workers. "+
		"Load average (1/5/15 min) %s at the start, %s at the end. `make bench` took %.0f s.\n\n",
		m.CPUs, m.CPUModel, m.MemoryGB, m.GoVersion, m.OS, res.Workers, res.LoadAvg[0], res.LoadAvg[1], res.TotalS)

	if len(res.Index) > 0 {
		row := columns(&b, "indexing (seeds + corpus)", res.Index, func(r *IndexRun) string { return fmt.Sprintf("%d×", r.Copies) })
		row("pages (MB)", func(r *IndexRun) string { return fmt.Sprintf("%s (%.0f MB)", thousands(r.Pages), r.PagesMB) })
		row("documents: articles + related items", func(r *IndexRun) string {
			return fmt.Sprintf("%s = %s + %s", thousands(r.Documents), thousands(r.Articles), thousands(r.Related))
		})
		row("text analysed", func(r *IndexRun) string { return fmt.Sprintf("%.1f MB", r.TextMB) })
		row("elapsed (process, dictionary load included)", func(r *IndexRun) string { return fmt.Sprintf("%.1f s", r.ElapsedS) })
		row("docs/s", func(r *IndexRun) string { return thousands(int(r.DocsPerS + 0.5)) })
		row("text MB/s", func(r *IndexRun) string { return fmt.Sprintf("%.2f", r.MBPerS) })
		row("bare gse `CutSearch(text, false)`, same text and workers", func(r *IndexRun) string {
			return fmt.Sprintf("%.2f MB/s (%.1f s + %.1f s load)", r.Gse.MBPerS, r.Gse.CutS, r.Gse.LoadS)
		})
		row("bare gse `Cut(text, false)`, for reference", func(r *IndexRun) string { return fmt.Sprintf("%.2f MB/s", r.Gse.PlainCutMBPerS) })
		row("**indexing ÷ gse bound**", func(r *IndexRun) string { return fmt.Sprintf("**%.0f%%**", 100*r.OfGse) })
		row("CPU time (user + sys)", func(r *IndexRun) string { return fmt.Sprintf("%.0f s", r.CPUS) })
		row("peak RSS of the indexer", func(r *IndexRun) string { return fmt.Sprintf("%.0f MB", r.PeakRSSMB) })
		row("index size on disk", func(r *IndexRun) string { return fmt.Sprintf("%.0f MB", r.IndexSizeMB) })
		b.WriteString("\n")
	}

	if s := res.Serve; s != nil {
		fmt.Fprintf(&b, "| serving the %d× index (%s documents) | |\n|---|---:|\n", servedCopies(res), thousands(s.Documents))
		fmt.Fprintf(&b, "| cold start: process start → first answered `/api/search` | %.2f s (listening after %.2f s) |\n", s.ColdStartS, s.ListenS)
		l := s.Latency
		fmt.Fprintf(&b, "| latency, 1 client, %s requests over `bench/queries.txt` | p50 %.2f ms · p95 %.2f ms · p99 %.2f ms · max %.1f ms |\n",
			thousands(l.Requests), l.P50MS, l.P95MS, l.P99MS, l.MaxMS)
		t := s.Throughput
		fmt.Fprintf(&b, "| throughput, %d clients, %.0f s | %.0f queries/s (p50 %.1f ms, p99 %.1f ms) |\n", t.Clients, t.ElapsedS, t.QPS, t.P50MS, t.P99MS)
		fmt.Fprintf(&b, "| server RSS while serving: largest VmRSS · VmHWM | %.0f MB · %.0f MB |\n", s.RSSMB, s.HWMMB)
		if f := l.Failures + t.Failures; f > 0 {
			fmt.Fprintf(&b, "| failed requests | %d |\n", f)
		}
		b.WriteString("\n")
	}

	if len(res.Race) > 0 {
		row := columns(&b, "the race: ours · naive (ours ÷ naive), plain first pages, same run", res.Race,
			func(r *RaceRun) string { return fmt.Sprintf("%d× (%s docs)", r.Copies, thousands(r.Documents)) })
		ms := func(o, n, ratio float64) string { return fmt.Sprintf("%.2f · %.2f ms (%.2f)", o, n, ratio) }
		row("short queries p50, 1 client", func(r *RaceRun) string { return ms(r.Ours.Short.P50MS, r.Naive.Short.P50MS, r.Ratio.ShortP50) })
		row("short queries p99, 1 client", func(r *RaceRun) string { return ms(r.Ours.Short.P99MS, r.Naive.Short.P99MS, r.Ratio.ShortP99) })
		row("long questions p50, 1 client", func(r *RaceRun) string { return ms(r.Ours.Long.P50MS, r.Naive.Long.P50MS, r.Ratio.LongP50) })
		row("long questions p99, 1 client", func(r *RaceRun) string { return ms(r.Ours.Long.P99MS, r.Naive.Long.P99MS, r.Ratio.LongP99) })
		row("mixed (4 short : 1 long) p50, 1 client", func(r *RaceRun) string { return ms(r.Ours.Mixed.P50MS, r.Naive.Mixed.P50MS, r.Ratio.MixedP50) })
		row("mixed p99, 1 client", func(r *RaceRun) string { return ms(r.Ours.Mixed.P99MS, r.Naive.Mixed.P99MS, r.Ratio.MixedP99) })
		row("mixed QPS, 8 clients", func(r *RaceRun) string {
			return fmt.Sprintf("%.0f · %.0f (%.2f)", r.Ours.MixedQPS.QPS, r.Naive.MixedQPS.QPS, r.Ratio.QPS)
		})
		row("queries of death (`bench/hostile.txt`) p50 / max, 1 client", func(r *RaceRun) string {
			return fmt.Sprintf("%.2f / %.2f · %.2f / %.2f ms", r.Ours.Hostile.P50MS, r.Ours.Hostile.MaxMS, r.Naive.Hostile.P50MS, r.Naive.Hostile.MaxMS)
		})
		row("cold start, ours", func(r *RaceRun) string { return fmt.Sprintf("%.2f s", r.Ours.ColdStartS) })
		b.WriteString("\n![p50 and p99 against index size, ours and naive](race.svg)\n\n")
	}

	if len(res.Targets) > 0 {
		b.WriteString("| target | goal | measured | |\n|---|---|---:|:-:|\n")
		for _, t := range res.Targets {
			mark := "met"
			if !t.Met {
				mark = "**missed**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, t.Goal, t.Measured, mark)
		}
	}
	return b.String()
}

func writeResults(dir string, res *Results, md string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if len(res.Race) > 0 {
		return os.WriteFile(filepath.Join(dir, "race.svg"), []byte(raceSVG(res.Race)), 0o644)
	}
	return nil
}

// thousands formats n with comma separators: 58112 → 58,112.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
