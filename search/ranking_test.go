package search

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"healthsearch/indexer"
	"healthsearch/indexer/enrich"
)

// The ranking regression test runs the judged dev queries of eval/ through
// the engine (not HTTP) on a real index, scores them like eval/score.py and
// compares them with testdata/ranking/*.json: it fails when a set's nDCG@10
// or MRR drops below the floor stored there, and logs which queries' top
// results changed. `go test ./search -run TestRanking -update` rewrites the
// top results and metrics; it never lowers a floor (edit the file for that,
// and say why in the commit).
//
//   - seeds: eval/dev_seeds.jsonl on an index of the seeds;
//   - corpus: the eval/dev_corpus.jsonl queries whose page is among the
//     first rankingCorpusPages pages of corpus/make_pages.py, on seeds plus
//     those pages (skipped in -short mode and without python3).
var updateRanking = flag.Bool("update", false, "rewrite testdata/ranking golden files (floors are kept)")

const (
	rankingK           = 10
	rankingCorpusPages = 1500
	// floorMargin is how far below the measured metric a new golden file
	// puts its floor.
	floorMargin = 0.02
)

type rankJudgment struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	Grade int    `json:"grade"`
}

type rankQuery struct {
	Q         string            `json:"q"`
	Filters   map[string]string `json:"filters,omitempty"`
	Judgments []rankJudgment    `json:"judgments"`
	Note      string            `json:"note,omitempty"`
}

func rankLoad(t *testing.T, path string) []rankQuery {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rankQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		var q rankQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		for i := range q.Judgments {
			if q.Judgments[i].Type == "" {
				q.Judgments[i].Type = indexer.TypeArticle
			}
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var rankTagRE = regexp.MustCompile(`<[^>]*>`)

// rankNormTitle is score.py's norm_title: tags stripped, NFKC, whitespace
// removed, lower case, edge punctuation trimmed.
func rankNormTitle(s string) string {
	s = norm.NFKC.String(rankTagRE.ReplaceAllString(s, ""))
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Trim(strings.ToLower(s), "?？!！。.,，;；:：~")
}

type rankKey struct{ typ, title string }

// rankScore is one query's metrics; the has* fields say which apply.
type rankScore struct {
	ndcg, rr, s1, s10 float64
	hasNDCG, hasRel   bool
	gains             []int
}

func rankDCG(gains []int) float64 {
	var s float64
	for i, g := range gains {
		s += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i)+2)
	}
	return s
}

// rankScoreHits judges hits like score.py: by (type, title), a repeated
// (type, title) earns nothing, relevant means grade ≥ 2, MRR is cut at k.
func rankScoreHits(q rankQuery, hits []Hit, k int) rankScore {
	judged := map[rankKey]int{}
	for _, j := range q.Judgments {
		key := rankKey{j.Type, rankNormTitle(j.Title)}
		judged[key] = max(judged[key], j.Grade)
	}
	if len(hits) > k {
		hits = hits[:k]
	}
	var s rankScore
	seen := map[rankKey]bool{}
	for _, h := range hits {
		key := rankKey{h.Type, rankNormTitle(h.Title)}
		g := 0
		if !seen[key] {
			g = judged[key]
		}
		seen[key] = true
		s.gains = append(s.gains, g)
	}
	var ideal []int
	nrel := 0
	for _, g := range judged {
		ideal = append(ideal, g)
		if g >= 2 {
			nrel++
		}
	}
	rankSortDesc(ideal)
	if len(ideal) > k {
		ideal = ideal[:k]
	}
	if len(ideal) > 0 && ideal[0] > 0 {
		s.hasNDCG = true
		s.ndcg = rankDCG(s.gains) / rankDCG(ideal)
	}
	if nrel > 0 {
		s.hasRel = true
		for i, g := range s.gains {
			if g >= 2 {
				s.rr = 1 / float64(i+1)
				s.s10 = 1
				if i == 0 {
					s.s1 = 1
				}
				break
			}
		}
	}
	return s
}

func rankSortDesc(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] > xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// rankMetrics are a query set's averages, as score.py computes them.
type rankMetrics struct {
	NDCG    float64 `json:"ndcg"`
	MRR     float64 `json:"mrr"`
	S1      float64 `json:"s1"`
	S10     float64 `json:"s10"`
	Queries int     `json:"queries"`
}

type rankGoldenQuery struct {
	Q       string            `json:"q"`
	Filters map[string]string `json:"filters,omitempty"`
	NDCG    *float64          `json:"ndcg,omitempty"`
	Total   uint64            `json:"total"`
	// Top lists the first hits as "grade type title".
	Top []string `json:"top"`
}

// rankFloor is the lowest acceptable metric of a set, and the number of
// queries it was set on.
type rankFloor struct {
	NDCG    float64 `json:"ndcg"`
	MRR     float64 `json:"mrr"`
	Queries int     `json:"queries"`
}

type rankGolden struct {
	Comment string            `json:"comment"`
	Floor   rankFloor         `json:"floor"`
	Metrics rankMetrics       `json:"metrics"`
	Queries []rankGoldenQuery `json:"queries"`
}

// rankRequest builds the request the HTTP API would: score.py's parameters.
func rankRequest(t *testing.T, q rankQuery) Request {
	t.Helper()
	v := url.Values{"q": {q.Q}, "size": {fmt.Sprint(rankingK)}, "page": {"1"}}
	for k, val := range q.Filters {
		if val != "" {
			v.Set(k, val)
		}
	}
	req, err := ParseRequest(v)
	if err != nil {
		t.Fatalf("query %q: %v", q.Q, err)
	}
	return req
}

func rankRunSet(t *testing.T, e *Engine, name string, queries []rankQuery) {
	t.Helper()
	var m rankMetrics
	var ndcgs, rrs, s1s, s10s []float64
	got := rankGolden{Comment: "ranking golden file: see search/ranking_test.go; floors are edited by hand"}
	for _, q := range queries {
		res, err := e.Search(context.Background(), rankRequest(t, q))
		if err != nil {
			t.Fatalf("%s: search %q: %v", name, q.Q, err)
		}
		s := rankScoreHits(q, res.Hits, rankingK)
		gq := rankGoldenQuery{Q: q.Q, Filters: q.Filters, Total: res.Total}
		if s.hasNDCG {
			v := math.Round(s.ndcg*1000) / 1000
			gq.NDCG = &v
			ndcgs = append(ndcgs, s.ndcg)
		}
		if s.hasRel {
			rrs, s1s, s10s = append(rrs, s.rr), append(s1s, s.s1), append(s10s, s.s10)
		}
		for i, h := range res.Hits {
			if i == 3 {
				break
			}
			gq.Top = append(gq.Top, fmt.Sprintf("%d %s %s", s.gains[i], h.Type, h.Title))
		}
		got.Queries = append(got.Queries, gq)
	}
	m = rankMetrics{NDCG: rankMean(ndcgs), MRR: rankMean(rrs), S1: rankMean(s1s), S10: rankMean(s10s), Queries: len(queries)}
	got.Metrics = rankRound(m)
	t.Logf("%s: nDCG@10=%.3f MRR=%.3f S@1=%.2f S@10=%.2f queries=%d", name, m.NDCG, m.MRR, m.S1, m.S10, m.Queries)

	path := filepath.Join("testdata", "ranking", name+".json")
	var want rankGolden
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case os.IsNotExist(err) && *updateRanking:
		want.Floor = rankFloor{NDCG: floorBelow(m.NDCG), MRR: floorBelow(m.MRR), Queries: len(queries)}
	case os.IsNotExist(err):
		t.Fatalf("%s: no golden file; run go test ./search -run TestRanking -update", path)
	default:
		t.Fatal(err)
	}
	if m.NDCG < want.Floor.NDCG || m.MRR < want.Floor.MRR {
		t.Errorf("%s: ranking regressed: nDCG@10 %.3f (floor %.3f), MRR %.3f (floor %.3f); see the changed queries above",
			name, m.NDCG, want.Floor.NDCG, m.MRR, want.Floor.MRR)
	}
	if want.Floor.Queries != 0 && want.Floor.Queries != len(queries) {
		t.Errorf("%s: %d queries, the floor was set on %d: the query set changed; updateRanking the floor by hand", name, len(queries), want.Floor.Queries)
	}
	changed := rankDiff(want.Queries, got.Queries)
	for _, c := range changed {
		t.Log(c)
	}
	if len(changed) > 0 {
		t.Logf("%s: %d of %d queries' top results differ from %s (run with -update to accept)", name, len(changed), len(queries), path)
	}
	if *updateRanking {
		got.Floor = want.Floor
		out, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func floorBelow(v float64) float64 { return math.Floor((v-floorMargin)*100) / 100 }

func rankRound(m rankMetrics) rankMetrics {
	r := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	return rankMetrics{NDCG: r(m.NDCG), MRR: r(m.MRR), S1: r(m.S1), S10: r(m.S10), Queries: m.Queries}
}

func rankMean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func rankDiff(want, got []rankGoldenQuery) []string {
	byKey := map[string]rankGoldenQuery{}
	key := func(g rankGoldenQuery) string {
		b, _ := json.Marshal(g.Filters)
		return g.Q + "\x00" + string(b)
	}
	for _, w := range want {
		byKey[key(w)] = w
	}
	var out []string
	for _, g := range got {
		w, ok := byKey[key(g)]
		if !ok {
			out = append(out, fmt.Sprintf("new query %q: %v", g.Q, g.Top))
			continue
		}
		if strings.Join(w.Top, "\n") != strings.Join(g.Top, "\n") {
			out = append(out, fmt.Sprintf("%q: top was %v, now %v", g.Q, w.Top, g.Top))
		}
	}
	return out
}

func rankEnrich() indexer.EnrichFunc {
	e := enrich.Default()
	return func(title, text string) indexer.Enrichment {
		r := e.Enrich(title, text)
		return indexer.Enrichment{Provinces: r.Provinces, Cities: r.Cities, Topics: r.Topics}
	}
}

func rankBuild(t *testing.T, sources ...string) *Engine {
	t.Helper()
	dir := t.TempDir()
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: sources, IndexDir: dir, Enrich: rankEnrich()}); err != nil {
		t.Fatalf("build %v: %v", sources, err)
	}
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestRankingSeeds(t *testing.T) {
	e := rankBuild(t, filepath.Join("..", "seeds"))
	rankRunSet(t, e, "seeds", rankLoad(t, filepath.Join("..", "eval", "dev_seeds.jsonl")))
}

// rankCorpusSlice writes the first n corpus pages and returns
// their folder and normalised titles.
func rankCorpusSlice(t *testing.T, n int) (string, map[string]bool) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: no corpus pages")
	}
	dir := t.TempDir()
	cmd := exec.Command(py, filepath.Join("..", "corpus", "make_pages.py"), "--out", filepath.Join(dir, "pages"),
		"--count", fmt.Sprint(n), "--manifest", filepath.Join(dir, "manifest.tsv"), "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_pages.py: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, "\t"); len(f) >= 5 {
			titles[rankNormTitle(f[4])] = true
		}
	}
	return filepath.Join(dir, "pages"), titles
}

func TestRankingCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an index of corpus pages")
	}
	pages, titles := rankCorpusSlice(t, rankingCorpusPages)
	var queries []rankQuery
	for _, q := range rankLoad(t, filepath.Join("..", "eval", "dev_corpus.jsonl")) {
		for _, j := range q.Judgments {
			if j.Grade >= 2 && titles[rankNormTitle(j.Title)] {
				queries = append(queries, q)
				break
			}
		}
	}
	if len(queries) < 20 {
		t.Fatalf("only %d dev corpus queries have their page among the first %d pages", len(queries), rankingCorpusPages)
	}
	e := rankBuild(t, filepath.Join("..", "seeds"), pages)
	rankRunSet(t, e, "corpus", queries)
}
