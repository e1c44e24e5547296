package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServeRun is what serving the largest index measured.
type ServeRun struct {
	Index     string `json:"index"`
	Documents int    `json:"documents"`
	// ListenS is process start to the "listening on" line; ColdStartS
	// process start to the first answered /api/search query.
	ListenS    float64 `json:"listen_s"`
	ColdStartS float64 `json:"cold_start_s"`
	// Latency is the 1-client run over bench/queries.txt after a warm-up
	// pass; Throughput the run at several clients for a fixed time.
	Latency    LoadReport `json:"latency_1_client"`
	Throughput LoadReport `json:"throughput"`
	// RSSMB is the largest VmRSS sampled during both runs; HWMMB the
	// process's VmHWM (peak RSS since start) at the end.
	RSSMB float64 `json:"rss_mb"`
	HWMMB float64 `json:"hwm_mb"`
}

// LoadReport is the part of hsload's -json report the bench keeps.
type LoadReport struct {
	Clients  int     `json:"clients"`
	Requests int     `json:"requests"`
	ElapsedS float64 `json:"elapsed_s"`
	QPS      float64 `json:"qps"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
	Failures int     `json:"failures"`
	Non2xx   int     `json:"non_2xx"`
}

// server is a running `healthsearch serve`.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr bytes.Buffer
	done   chan error
}

// startServer starts healthsearch serve on a free loopback port and
// returns once it printed its address.
func startServer(ctx context.Context, bin, indexDir string) (*server, time.Time, error) {
	return startListening(exec.CommandContext(ctx, bin, "serve", "--index", indexDir, "--addr", "127.0.0.1:0", "--log-level", "warn"), 2*time.Minute)
}

// startListening starts cmd, a server that prints "listening on ADDR" on
// its standard output once it serves, and returns once it did.
func startListening(cmd *exec.Cmd, wait time.Duration) (*server, time.Time, error) {
	s := &server{cmd: cmd, done: make(chan error, 1)}
	name := filepath.Base(cmd.Path)
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, time.Time{}, err
	}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, start, err
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- strings.TrimSpace(a)
			}
		}
		close(addr)
		s.done <- s.cmd.Wait()
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			return nil, start, fmt.Errorf("%s exited before listening:\n%s", name, s.stderr.String())
		}
		s.base = a
	case <-time.After(wait):
		s.stop()
		return nil, start, fmt.Errorf("%s: no address after %s", name, wait)
	}
	return s, start, nil
}

// stop sends SIGTERM and waits for the server to exit.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// firstAnswer polls a search until it is answered with 200 and returns the
// number of documents the index holds.
func (s *server) firstAnswer(ctx context.Context, timeout time.Duration) (int, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	u := s.base + "/api/search?" + url.Values{"q": {"医保"}}.Encode()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		res, err := client.Get(u)
		if err == nil {
			var body struct{ Total int }
			derr := json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK && derr == nil {
				return body.Total, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("no answer from %s within %s:\n%s", u, timeout, s.stderr.String())
}

// docCount asks the server how many documents an empty query matches.
func (s *server) docCount() (int, error) {
	res, err := http.Get(s.base + "/api/search?q=&size=1")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var body struct{ Total int }
	return body.Total, json.NewDecoder(res.Body).Decode(&body)
}

// rssSampler records the largest VmRSS of pid until stopped.
type rssSampler struct {
	mu   sync.Mutex
	max  int64 // kB
	quit chan struct{}
	wg   sync.WaitGroup
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	r := &rssSampler{quit: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := readProcStatus(pid); err == nil {
				r.mu.Lock()
				r.max = max(r.max, st["VmRSS"])
				r.mu.Unlock()
			}
			select {
			case <-r.quit:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// stop ends the sampling and returns the largest VmRSS in kB.
func (r *rssSampler) stop() int64 {
	close(r.quit)
	r.wg.Wait()
	return r.max
}

// hsload runs the load tool against base and returns its report.
func hsload(ctx context.Context, bin, base, queries string, clients, requests int, duration time.Duration) (LoadReport, error) {
	return runHsload(ctx, bin, base, queries, clients, requests, duration, false)
}

// hsloadPlain is hsload with plain first pages only (hsload -plain).
func hsloadPlain(ctx context.Context, bin, base, queries string, clients, requests int, duration time.Duration) (LoadReport, error) {
	return runHsload(ctx, bin, base, queries, clients, requests, duration, true)
}

func runHsload(ctx context.Context, bin, base, queries string, clients, requests int, duration time.Duration, plain bool) (LoadReport, error) {
	var rep LoadReport
	cmd := exec.CommandContext(ctx, bin, "-url", base, "-queries", queries, "-json", "-plain="+strconv.FormatBool(plain),
		"-clients", strconv.Itoa(clients), "-requests", strconv.Itoa(requests), "-duration", duration.String())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	// Exit status 1 means some requests failed: the report says how many.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return rep, fmt.Errorf("hsload: %w\n%s", err, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return rep, fmt.Errorf("hsload report: %w\n%s", err, out.String())
	}
	return rep, nil
}

// serveBench serves indexDir and measures cold start, 1-client latency,
// throughput and memory.
func serveBench(ctx context.Context, o options, bins binaries, indexDir string, log *logger) (*ServeRun, error) {
	r := &ServeRun{Index: indexDir}
	log.step("serving %s: cold start", indexDir)
	srv, start, err := startServer(ctx, bins.healthsearch, indexDir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	r.ListenS = time.Since(start).Seconds()
	if _, err := srv.firstAnswer(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	r.ColdStartS = time.Since(start).Seconds()
	if r.Documents, err = srv.docCount(); err != nil {
		return nil, err
	}
	log.step("first answer after %.2fs (listening after %.2fs), %d documents", r.ColdStartS, r.ListenS, r.Documents)

	pid := srv.cmd.Process.Pid
	rss := sampleRSS(pid, 100*time.Millisecond)
	queries := o.repo + "/bench/queries.txt"
	if o.warmup > 0 {
		log.step("warm-up: %d requests at 1 client", o.warmup)
		if _, err := hsload(ctx, bins.hsload, srv.base, queries, 1, o.warmup, 10*time.Minute); err != nil {
			return nil, err
		}
	}
	log.step("latency: %d requests at 1 client", o.latencyReqs)
	if r.Latency, err = hsload(ctx, bins.hsload, srv.base, queries, 1, o.latencyReqs, 10*time.Minute); err != nil {
		return nil, err
	}
	log.step("p50 %.2f ms, p95 %.2f ms, p99 %.2f ms", r.Latency.P50MS, r.Latency.P95MS, r.Latency.P99MS)
	log.step("throughput: %d clients for %s", o.qpsClients, o.qpsDuration)
	if r.Throughput, err = hsload(ctx, bins.hsload, srv.base, queries, o.qpsClients, 10_000_000, o.qpsDuration); err != nil {
		return nil, err
	}
	r.RSSMB = float64(rss.stop()) * 1024 / 1e6
	st, err := readProcStatus(pid)
	if err != nil {
		return nil, err
	}
	r.HWMMB = float64(st["VmHWM"]) * 1024 / 1e6
	log.step("%.0f QPS at %d clients; RSS %.0f MB (peak %.0f MB)", r.Throughput.QPS, o.qpsClients, r.RSSMB, r.HWMMB)
	return r, nil
}
