// Command hsload drives a local healthsearch server with N concurrent
// clients and a fixed query mix, and reports latency percentiles, throughput
// and failures.
//
//	hsload -url http://127.0.0.1:8080 -clients 8 -duration 60s -queries bench/queries.txt [-json]
//
// It only talks to loopback addresses: it is a tool for measuring our own
// server, not for loading anyone else's. A run is bounded both in time
// (-duration) and in number of requests (-requests), whichever comes first.
//
// Request n of a run searches query n mod Q of the file with parameter
// variant (n mod Q + n div Q) mod V (plain, page 2, a province or topic
// filter, newest first): the same flags give the same mix of requests, only
// their interleaving across clients varies, and every query comes with every
// variant within V passes over the file.
//
// The exit status is 0 when every request got a 2xx answer, 1 when any
// failed (a non-2xx status or a transport error), 2 for bad usage.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"healthsearch/bench"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var fe *failuresError
	switch {
	case err == nil:
	case errors.As(err, &fe):
		fmt.Fprintln(os.Stderr, "hsload:", err)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "hsload:", err)
		os.Exit(2)
	}
}

// Bounds on a run: a typo must not start a load that never ends.
const (
	maxDuration = time.Hour
	maxRequests = 10_000_000
	maxClients  = 1024
)

// options are the command's flags.
type options struct {
	base     *url.URL
	path     string
	clients  int
	duration time.Duration
	requests int
	queries  string
	timeout  time.Duration
	json     bool
	// plain sends only first pages without filters: what an engine that
	// has no facets or paging to speak of (the naive baseline) answers
	// alike, for a side-by-side run.
	plain bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("hsload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "server base URL (loopback only: 127.0.0.1, localhost, ::1)")
	fs.StringVar(&o.path, "path", "/api/search", "search endpoint")
	fs.IntVar(&o.clients, "clients", 8, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "stop after this long (at most 1h)")
	fs.IntVar(&o.requests, "requests", 1_000_000, "stop after this many requests (at most 10,000,000)")
	fs.StringVar(&o.queries, "queries", "bench/queries.txt", "query mix, one query per line ('#' comments); several files comma-separated")
	fs.BoolVar(&o.plain, "plain", false, "only plain first pages: no paging, filters or date order")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.clients < 1 || o.clients > maxClients:
		return o, fmt.Errorf("-clients %d: want 1 to %d", o.clients, maxClients)
	case o.duration <= 0 || o.duration > maxDuration:
		return o, fmt.Errorf("-duration %s: want more than 0 and at most %s", o.duration, maxDuration)
	case o.requests < 1 || o.requests > maxRequests:
		return o, fmt.Errorf("-requests %d: want 1 to %d", o.requests, maxRequests)
	case o.timeout <= 0:
		return o, fmt.Errorf("-timeout %s: want more than 0", o.timeout)
	}
	var err error
	o.base, err = loopbackURL(*rawURL)
	return o, err
}

// loopbackURL parses raw and refuses any host but this machine's loopback.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("-url %q: want an http:// or https:// URL", raw)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
	default:
		return nil, fmt.Errorf("-url %q: hsload only loads this machine (127.0.0.1, localhost or ::1), not %q", raw, u.Hostname())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Filter values the variants cycle through: common ones in the seeds and
// the corpus, so filtered searches are neither all empty nor all full.
var (
	variantProvinces = []string{"广西", "广东", "北京", "四川", "山东"}
	variantTopics    = []string{"医保", "异地就医", "住院", "门诊", "疫苗"}
)

// numVariants is the number of parameter variants of a query.
const numVariants = 7

// target returns the URL of request n. The variant shifts by one on each
// pass over the queries, so a query count that is a multiple of
// numVariants does not pin each query to one variant.
func target(base *url.URL, path string, queries []string, n int, plain bool) string {
	q := queries[n%len(queries)]
	v := url.Values{"q": {q}}
	variant := (n%len(queries) + n/len(queries)) % numVariants
	if plain {
		variant = 0
	}
	switch variant {
	case 0, 1, 2: // most searches are a plain first page
	case 3:
		v.Set("page", "2")
	case 4:
		v.Set("province", variantProvinces[(n/numVariants)%len(variantProvinces)])
	case 5:
		v.Set("topic", variantTopics[(n/numVariants)%len(variantTopics)])
	case 6:
		v.Set("sort", "date")
	}
	u := *base
	u.Path += path
	u.RawQuery = v.Encode()
	return u.String()
}

// Report is the outcome of a run; -json prints it as is.
type Report struct {
	URL       string  `json:"url"`
	Clients   int     `json:"clients"`
	Queries   int     `json:"queries"`
	ElapsedS  float64 `json:"elapsed_s"`
	Requests  int     `json:"requests"`
	OK        int     `json:"ok"`
	Non2xx    int     `json:"non_2xx"`
	Transport int     `json:"transport_errors"`
	// Statuses counts the answers by HTTP status.
	Statuses map[string]int `json:"statuses"`
	// Errors holds the first few failures, for the log.
	Errors   []string `json:"errors,omitempty"`
	QPS      float64  `json:"qps"`
	P50MS    float64  `json:"p50_ms"`
	P95MS    float64  `json:"p95_ms"`
	P99MS    float64  `json:"p99_ms"`
	MaxMS    float64  `json:"max_ms"`
	MeanMS   float64  `json:"mean_ms"`
	BytesIn  int64    `json:"bytes_in"`
	Stopped  string   `json:"stopped"` // duration, requests or signal
	Failures int      `json:"failures"`
}

// failuresError means the run completed but some requests failed.
type failuresError struct{ n, of int }

func (e *failuresError) Error() string { return fmt.Sprintf("%d of %d requests failed", e.n, e.of) }

const keptErrors = 10

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var queries []string
	for _, f := range strings.Split(o.queries, ",") {
		qs, err := bench.ReadQueries(f)
		if err != nil {
			return err
		}
		queries = append(queries, qs...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := load(ctx, o, queries)
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(stdout, rep)
	}
	if rep.Failures > 0 {
		return &failuresError{n: rep.Failures, of: rep.Requests}
	}
	return nil
}

// result is one request's outcome.
type result struct {
	latency     time.Duration
	status      int // 0 for a transport error
	bytes       int64
	err         error
	interrupted bool // cancelled by a signal to hsload
}

func load(ctx context.Context, o options, queries []string) *Report {
	transport := &http.Transport{
		Proxy:               nil, // loopback: never through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: o.timeout}).DialContext,
		MaxIdleConns:        o.clients,
		MaxIdleConnsPerHost: o.clients,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: o.timeout}

	// When the time is up no new request starts, but those under way
	// finish (within -timeout) and count; a signal cancels them.
	running, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var (
		next    atomic.Int64 // the next request number to send
		wg      sync.WaitGroup
		results = make([][]result, o.clients)
	)
	start := time.Now()
	for c := 0; c < o.clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for running.Err() == nil {
				n := int(next.Add(1) - 1)
				if n >= o.requests {
					return
				}
				results[c] = append(results[c], fetch(ctx, client, target(o.base, o.path, queries, n, o.plain)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	rep := &Report{URL: o.base.String(), Clients: o.clients, Queries: len(queries), ElapsedS: elapsed.Seconds(), Statuses: map[string]int{}}
	var lat []time.Duration
	var total time.Duration
	for _, rs := range results {
		for _, r := range rs {
			if r.interrupted {
				continue // cut off by a signal: no answer to judge
			}
			rep.Requests++
			rep.BytesIn += r.bytes
			lat = append(lat, r.latency)
			total += r.latency
			switch {
			case r.status == 0:
				rep.Transport++
			case r.status/100 == 2:
				rep.OK++
			default:
				rep.Non2xx++
			}
			if r.status != 0 {
				rep.Statuses[strconv.Itoa(r.status)]++
			}
			if r.err != nil && len(rep.Errors) < keptErrors {
				rep.Errors = append(rep.Errors, r.err.Error())
			}
		}
	}
	rep.Failures = rep.Non2xx + rep.Transport
	switch {
	case ctx.Err() != nil:
		rep.Stopped = "signal"
	case int(next.Load()) >= o.requests:
		rep.Stopped = "requests"
	default:
		rep.Stopped = "duration"
	}
	if elapsed > 0 {
		rep.QPS = float64(rep.Requests) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		rep.P50MS = ms(percentile(lat, 50))
		rep.P95MS = ms(percentile(lat, 95))
		rep.P99MS = ms(percentile(lat, 99))
		rep.MaxMS = ms(lat[len(lat)-1])
		rep.MeanMS = ms(total / time.Duration(len(lat)))
	}
	return rep
}

// fetch sends one request and reads the whole answer, as a browser would.
func fetch(ctx context.Context, client *http.Client, target string) result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return result{latency: time.Since(start), err: err, interrupted: ctx.Err() != nil}
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	r := result{latency: time.Since(start), status: res.StatusCode, bytes: n}
	if err != nil {
		r.status, r.err, r.interrupted = 0, fmt.Errorf("GET %s: reading the body: %w", target, err), ctx.Err() != nil
	} else if res.StatusCode/100 != 2 {
		r.err = fmt.Errorf("GET %s: status %d", target, res.StatusCode)
	}
	return r
}

// percentile is the nearest-rank percentile p of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n), 1-based
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printReport(w io.Writer, r *Report) {
	fmt.Fprintf(w, "target      %s (%d clients, %d queries)\n", r.URL, r.Clients, r.Queries)
	fmt.Fprintf(w, "requests    %d in %.1fs (stopped by %s): %.1f req/s, %.1f MB read\n", r.Requests, r.ElapsedS, r.Stopped, r.QPS, float64(r.BytesIn)/1e6)
	fmt.Fprintf(w, "latency     p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  mean %.1f ms\n", r.P50MS, r.P95MS, r.P99MS, r.MaxMS, r.MeanMS)
	codes := make([]string, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%s×%d", c, r.Statuses[c]))
	}
	fmt.Fprintf(w, "statuses    %s\n", strings.Join(parts, " "))
	fmt.Fprintf(w, "failures    %d (non-2xx %d, transport errors %d)\n", r.Failures, r.Non2xx, r.Transport)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
}
