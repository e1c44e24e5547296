package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The race: at each scale, healthsearch and the naive baseline engine of
// make eval (eval/baseline: bleve's cjk bigram analyzer, one BM25 match
// query per field, no facets or highlighting) answer the same queries on
// the same documents in the same run, one after the other on an otherwise
// idle machine, so the ratios mean something on any machine.

// RaceRun is one scale of the race.
type RaceRun struct {
	Copies    int       `json:"copies"`
	Documents int       `json:"documents"`
	Ours      RaceSide  `json:"ours"`
	Naive     RaceSide  `json:"naive"`
	Ratio     RaceRatio `json:"ours_over_naive"`
}

// RaceSide is one engine's figures: 1-client latency of each query kind
// and the throughput of the mixed list at several clients.
type RaceSide struct {
	ColdStartS float64    `json:"cold_start_s"`
	Short      LoadReport `json:"short_1_client"`
	Long       LoadReport `json:"long_1_client"`
	Mixed      LoadReport `json:"mixed_1_client"`
	MixedQPS   LoadReport `json:"mixed_throughput"`
	// Hostile is bench/hostile.txt at 1 client: queries of death.
	Hostile LoadReport `json:"hostile_1_client"`
}

// RaceRatio is ours ÷ naive: below 1 is faster for latency, above 1 for QPS.
type RaceRatio struct {
	ShortP50, ShortP99 float64
	LongP50, LongP99   float64
	MixedP50, MixedP99 float64
	QPS                float64
	// HostileMaxOverShortP50 is ours alone: the slowest hostile query
	// over the median short query.
	HostileMaxOverShortP50 float64
}

// raceQueries are the lists: short queries, long questions, and both
// (bench/questions.txt is a fifth of the mixed list).
func raceQueries(o options) (short, long, mixed string) {
	short = filepath.Join(o.repo, "bench", "queries.txt")
	long = filepath.Join(o.repo, "bench", "questions.txt")
	return short, long, short + "," + long
}

// race measures both engines on the index at dir.
func race(ctx context.Context, o options, bins binaries, dir string, copies int, log *logger) (*RaceRun, error) {
	r := &RaceRun{Copies: copies}
	log.step("race at %d×: healthsearch", copies)
	srv, start, err := startServer(ctx, bins.healthsearch, dir)
	if err != nil {
		return nil, err
	}
	if _, err := srv.firstAnswer(ctx, 2*time.Minute); err != nil {
		srv.stop()
		return nil, err
	}
	r.Ours.ColdStartS = time.Since(start).Seconds()
	if r.Documents, err = srv.docCount(); err != nil {
		srv.stop()
		return nil, err
	}
	err = raceSide(ctx, o, bins, srv.base, &r.Ours, log)
	srv.stop()
	if err != nil {
		return nil, err
	}

	log.step("race at %d×: naive baseline (indexing the same documents)", copies)
	work := filepath.Join(o.cache, "bench", fmt.Sprintf("naive%dx", copies))
	naive, start, err := startBaseline(ctx, bins.baseline, dir, work)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	defer naive.stop()
	if _, err := naive.firstAnswer(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	r.Naive.ColdStartS = time.Since(start).Seconds() // includes its indexing: not compared
	if err := raceSide(ctx, o, bins, naive.base, &r.Naive, log); err != nil {
		return nil, err
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	r.Ratio = RaceRatio{
		ShortP50: ratio(r.Ours.Short.P50MS, r.Naive.Short.P50MS), ShortP99: ratio(r.Ours.Short.P99MS, r.Naive.Short.P99MS),
		LongP50: ratio(r.Ours.Long.P50MS, r.Naive.Long.P50MS), LongP99: ratio(r.Ours.Long.P99MS, r.Naive.Long.P99MS),
		MixedP50: ratio(r.Ours.Mixed.P50MS, r.Naive.Mixed.P50MS), MixedP99: ratio(r.Ours.Mixed.P99MS, r.Naive.Mixed.P99MS),
		QPS:                    ratio(r.Ours.MixedQPS.QPS, r.Naive.MixedQPS.QPS),
		HostileMaxOverShortP50: ratio(r.Ours.Hostile.MaxMS, r.Ours.Short.P50MS),
	}
	log.step("ours ÷ naive at %d×: mixed p50 %.2f, p99 %.2f, QPS %.2f; long p50 %.2f", copies, r.Ratio.MixedP50, r.Ratio.MixedP99, r.Ratio.QPS, r.Ratio.LongP50)
	return r, nil
}

// raceSide runs the lists against one server: plain first pages only, as
// the baseline has no facets, paging or filters to speak of.
func raceSide(ctx context.Context, o options, bins binaries, base string, side *RaceSide, log *logger) error {
	short, long, mixed := raceQueries(o)
	run := func(queries string, clients, requests int, d time.Duration) (LoadReport, error) {
		return hsloadPlain(ctx, bins.hsload, base, queries, clients, requests, d)
	}
	if o.warmup > 0 {
		if _, err := run(mixed, 1, o.warmup, 10*time.Minute); err != nil {
			return err
		}
	}
	var err error
	if side.Short, err = run(short, 1, 329*2, 10*time.Minute); err != nil {
		return err
	}
	if side.Long, err = run(long, 1, 80*3, 10*time.Minute); err != nil {
		return err
	}
	if side.Mixed, err = run(mixed, 1, 409*2, 10*time.Minute); err != nil {
		return err
	}
	if side.MixedQPS, err = run(mixed, o.qpsClients, 10_000_000, o.raceDuration); err != nil {
		return err
	}
	// Each hostile query ten times, after the runs above warmed up.
	if side.Hostile, err = run(filepath.Join(o.repo, "bench", "hostile.txt"), 1, 30, 10*time.Minute); err != nil {
		return err
	}
	log.step("  short p50 %.2f ms p99 %.2f ms · long p50 %.2f ms p99 %.2f ms · mixed %.0f QPS at %d clients",
		side.Short.P50MS, side.Short.P99MS, side.Long.P50MS, side.Long.P99MS, side.MixedQPS.QPS, o.qpsClients)
	return nil
}

// startBaseline starts eval/baseline on the documents of the index at
// from, indexing them into work; it returns once it listens.
func startBaseline(ctx context.Context, bin, from, work string) (*server, time.Time, error) {
	return startListening(exec.CommandContext(ctx, bin, "--from", from, "--work", work, "--addr", "127.0.0.1:0"), 30*time.Minute)
}
