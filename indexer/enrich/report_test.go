package enrich

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestCorpusReport measures the enricher on the generated corpus (the
// generator ships in corpus/; `make corpus-check` runs it), or by hand from
// the repo root:
//
//	python3 corpus/make_pages.py --out .cache/corpus
//	ENRICH_CORPUS=$PWD/.cache/corpus go test ./indexer/enrich -run TestCorpusReport -v
//
// It reports the share of documents without a topic and what places fired
// (the corpus is medical Q&A, so places are rare and worth eyeballing), and
// fails when either share leaves the range measured when the rules were
// reviewed (0% without a topic, 0.21% with a place).
func TestCorpusReport(t *testing.T) {
	dir := os.Getenv("ENRICH_CORPUS")
	if dir == "" {
		t.Skip("set ENRICH_CORPUS to a folder of generated pages")
	}
	e := Default()
	docs := readPages(t, dir)
	seen := map[string]bool{}
	var n, noTopic, withPlace int
	topicCount := map[string]int{}
	surfCount := map[string]int{}
	allSurf := map[string]int{} // matched, whether or not they resolved
	nTopics := map[int]int{}
	var placeSamples, noTopicSamples, all []string
	for _, d := range docs {
		k := d.kind + "\x00" + d.title + "\x00" + d.text
		if seen[k] {
			continue
		}
		seen[k] = true
		n++
		r := e.Enrich(d.title, d.text)
		for _, s := range e.placeSurfaces(d.title, d.text) {
			allSurf[s]++
		}
		nTopics[len(r.Topics)]++
		all = append(all, fmt.Sprintf("%s %v %v %v | %s | %s", d.kind, r.Topics, r.Provinces, r.Cities, d.title, trunc(d.text, 100)))
		if len(r.Topics) == 0 {
			noTopic++
			noTopicSamples = append(noTopicSamples, d.kind+" | "+d.title+" | "+trunc(d.text, 80))
		}
		for _, tp := range r.Topics {
			topicCount[tp]++
		}
		if len(r.Provinces) > 0 || len(r.Cities) > 0 {
			withPlace++
			surfs := e.placeSurfaces(d.title, d.text)
			for _, s := range surfs {
				surfCount[s]++
			}
			placeSamples = append(placeSamples, fmt.Sprintf("%s %v %v via %v | %s | %s", d.kind, r.Provinces, r.Cities, surfs, d.title, trunc(d.text, 60)))
		}
	}
	t.Logf("documents: %d (deduplicated), no topic: %d (%.2f%%), with a place: %d (%.2f%%)",
		n, noTopic, 100*float64(noTopic)/float64(n), withPlace, 100*float64(withPlace)/float64(n))
	if n == 0 {
		t.Fatalf("no pages under %s", dir)
	}
	// Bounds with room over the reviewed figures: a rule change that makes
	// topics vanish or place names fire on medical words fails here.
	if share := float64(noTopic) / float64(n); share > 0.01 {
		t.Errorf("%.2f%% of documents have no topic (reviewed: 0%%, bound 1%%)", 100*share)
	}
	if share := float64(withPlace) / float64(n); share > 0.01 {
		t.Errorf("%.2f%% of documents have a place (reviewed: 0.21%%, bound 1%%); see the place: lines", 100*share)
	}
	t.Logf("topics per document: %v", nTopics)
	t.Logf("topic counts: %s", topN(topicCount, 80))
	t.Logf("place surfaces: %s", topN(surfCount, 200))
	t.Logf("all matched place names: %s", topN(allSurf, 300))
	step := max(1, len(placeSamples)/50)
	for i := 0; i < len(placeSamples); i += step {
		t.Logf("place: %s", placeSamples[i])
	}
	if out := os.Getenv("ENRICH_NOTOPIC_OUT"); out != "" {
		os.WriteFile(out, []byte(strings.Join(noTopicSamples, "\n")), 0o644)
	}
	if out := os.Getenv("ENRICH_ALL_OUT"); out != "" {
		os.WriteFile(out, []byte(strings.Join(all, "\n")), 0o644)
	}
	if out := os.Getenv("ENRICH_PLACES_OUT"); out != "" {
		os.WriteFile(out, []byte(strings.Join(placeSamples, "\n")), 0o644)
	}
}

func trunc(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

func topN(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	sort.Slice(kvs, func(i, j int) bool {
		if kvs[i].v != kvs[j].v {
			return kvs[i].v > kvs[j].v
		}
		return kvs[i].k < kvs[j].k
	})
	var b strings.Builder
	for i, x := range kvs {
		if i == n {
			break
		}
		fmt.Fprintf(&b, "%s=%d ", x.k, x.v)
	}
	return b.String()
}
