package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1/", "http://[::1]:8080", "https://127.0.0.1"} {
		if _, err := loopbackURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"http://example.com", "http://10.0.0.1:8080", "http://0.0.0.0:8080", "http://127.0.0.2",
		"http://localhost.example.com", "http://user@example.com", "ftp://127.0.0.1", "127.0.0.1:8080", "http://[::2]:80",
	} {
		if _, err := loopbackURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	// The refusal comes before any request.
	var out, errOut bytes.Buffer
	err := run([]string{"-url", "http://192.0.2.1:80", "-queries", writeQueries(t, "医保"), "-requests", "1"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "only loads this machine") {
		t.Errorf("run against a remote host: %v", err)
	}
}

func TestFlagBounds(t *testing.T) {
	q := writeQueries(t, "医保")
	for _, args := range [][]string{
		{"-duration", "0s"}, {"-duration", "2h"}, {"-requests", "0"}, {"-requests", "100000000"},
		{"-clients", "0"}, {"-clients", "5000"}, {"-timeout", "0s"}, {"stray"},
	} {
		var out, errOut bytes.Buffer
		if err := run(append(args, "-queries", q), &out, &errOut); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func writeQueries(t *testing.T, qs ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queries.txt")
	data := "# comment\n\n" + strings.Join(qs, "\n") + "\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Request n is a fixed function of n, so a run's mix is the same every
// time, and Q × V requests give every query every variant, whatever the
// number of queries.
func TestTargetsAreDeterministic(t *testing.T) {
	for _, n := range []int{1, 5, numVariants, 2 * numVariants, 47} {
		queries := make([]string, n)
		for i := range queries {
			queries[i] = "查询" + strconv.Itoa(i)
		}
		t.Run(strconv.Itoa(n)+" queries", func(t *testing.T) { checkTargets(t, queries) })
	}
}

func checkTargets(t *testing.T, queries []string) {
	base, _ := loopbackURL("http://127.0.0.1:8080")
	seen := map[string]bool{}
	variants := map[string]bool{}
	for n := 0; n < len(queries)*numVariants; n++ {
		tg := target(base, "/api/search", queries, n, false)
		if tg != target(base, "/api/search", queries, n, false) {
			t.Fatal("target is not deterministic")
		}
		u, err := url.Parse(tg)
		if err != nil || u.Host != "127.0.0.1:8080" || u.Path != "/api/search" {
			t.Fatalf("target %q: %v", tg, err)
		}
		v := u.Query()
		if v.Get("q") != queries[n%len(queries)] {
			t.Errorf("request %d searches %q", n, v.Get("q"))
		}
		v.Del("q")
		variant := strings.Join(slices.Sorted(func(yield func(string) bool) {
			for k := range v {
				if !yield(k) {
					return
				}
			}
		}), ",")
		variants[variant] = true
		seen[queries[n%len(queries)]+"|"+variant] = true
	}
	// Three of the variants are the plain search: 5 kinds per query.
	if len(seen) != len(queries)*5 {
		t.Errorf("%d query × variant pairs in %d requests, want all %d", len(seen), len(queries)*numVariants, len(queries)*5)
	}
	for _, want := range []string{"", "page", "province", "topic", "sort"} {
		if !variants[want] {
			t.Errorf("no request with variant %q (have %v)", want, variants)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[int]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%d = %s, want %s", p, got, want)
		}
	}
	if got := percentile(d[:1], 99); got != time.Millisecond {
		t.Errorf("p99 of one = %s", got)
	}
}

// fakeServer answers 500 to the query "fail" and 200 otherwise, and
// records every query it gets.
func fakeServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("q") == "fail" {
			http.Error(w, `{"error":{}}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"hits":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

func runJSON(t *testing.T, args ...string) (*Report, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(append(args, "-json"), &out, &errOut)
	var rep Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("report is not JSON (%v): %s %s", jerr, out.String(), errOut.String())
	}
	return &rep, err
}

func TestRunCountsAndReports(t *testing.T) {
	srv, received := fakeServer(t)
	queries := []string{"医保", "fail", "异地就医"}
	rep, err := runJSON(t, "-url", srv.URL, "-queries", writeQueries(t, queries...), "-clients", "4", "-requests", "60", "-duration", "10m")
	base, _ := loopbackURL(srv.URL)
	var want []string
	fails := 0
	for n := 0; n < 60; n++ {
		u, _ := url.Parse(target(base, "/api/search", queries, n, false))
		want = append(want, u.RawQuery)
		if u.Query().Get("q") == "fail" {
			fails++
		}
	}
	var fe *failuresError
	if !errors.As(err, &fe) || fe.n != fails {
		t.Errorf("run error %v, want %d failures", err, fails)
	}
	if rep.Requests != 60 || rep.OK != 60-fails || rep.Non2xx != fails || rep.Transport != 0 || rep.Failures != fails {
		t.Errorf("report %+v, want 60 requests of which %d fail", rep, fails)
	}
	if rep.Statuses["200"] != 60-fails || rep.Statuses["500"] != fails || rep.Stopped != "requests" {
		t.Errorf("statuses %v, stopped by %s", rep.Statuses, rep.Stopped)
	}
	if !(rep.P50MS <= rep.P95MS && rep.P95MS <= rep.P99MS && rep.P99MS <= rep.MaxMS) || rep.QPS <= 0 {
		t.Errorf("latencies p50 %v p95 %v p99 %v max %v, qps %v", rep.P50MS, rep.P95MS, rep.P99MS, rep.MaxMS, rep.QPS)
	}
	got := received()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the server got another mix than requests 0..59")
	}
}

func TestRunStopsWhenTimeIsUp(t *testing.T) {
	srv, _ := fakeServer(t)
	rep, err := runJSON(t, "-url", srv.URL, "-queries", writeQueries(t, "医保"), "-clients", "2", "-duration", "200ms")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stopped != "duration" || rep.Requests == 0 || rep.Failures != 0 {
		t.Errorf("report %+v, want a run stopped by its duration without failures", rep)
	}
}

func TestRunCountsTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	rep, err := runJSON(t, "-url", "http://"+addr, "-queries", writeQueries(t, "医保"), "-clients", "2", "-requests", "5", "-timeout", "5s")
	var fe *failuresError
	if !errors.As(err, &fe) {
		t.Errorf("run error %v, want failures", err)
	}
	if rep.Requests != 5 || rep.Transport != 5 || len(rep.Errors) == 0 {
		t.Errorf("report %+v, want 5 transport errors", rep)
	}
}
