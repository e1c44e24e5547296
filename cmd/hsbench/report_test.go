package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

// summaryOutput is what `healthsearch index` prints (cmd/healthsearch
// printSummary).
const summaryOutput = `generation      gen-20261123T104430.123456789
pages read      58117 (414.2 MB)
articles        58117 (0 duplicate pages merged)
related items   7326 unique of 813584 slots
skipped         0
elapsed         41.7s (1569 docs/s)
`

func TestParseSummary(t *testing.T) {
	var r IndexRun
	if err := parseSummary(summaryOutput, &r); err != nil {
		t.Fatal(err)
	}
	if r.Pages != 58117 || r.PagesMB != 414.2 || r.Articles != 58117 || r.Merged != 0 || r.Related != 7326 || r.BuildS != 41.7 {
		t.Errorf("parsed %+v", r)
	}
	if err := parseSummary("pages read 3", &r); err == nil {
		t.Error("no error for a truncated summary")
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 65443: "65,443", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTargetsAndMarkdown(t *testing.T) {
	res := &Results{
		Machine: Machine{CPUs: 2, CPUModel: "Test CPU", GoVersion: "go1.26"},
		Index: []*IndexRun{
			{Copies: 1, ElapsedS: 10, OfGse: 0.3, PeakRSSMB: 800},
			{Copies: 8, ElapsedS: 40, OfGse: 0.75, PeakRSSMB: 1600},
		},
		Serve: &ServeRun{ColdStartS: 0.9, Latency: LoadReport{P50MS: 2, P99MS: 30}, HWMMB: 280},
	}
	res.Targets = targets(res)
	met := map[string]bool{}
	for _, tg := range res.Targets {
		met[tg.Name] = tg.Met
	}
	want := map[string]bool{
		"indexing throughput, 8×": true, "indexing peak RSS, 8×": false, "cold start, 8×": true,
		"latency p50, 1 client, 8×": true, "latency p99, 1 client, 8×": false, "server RSS while serving (VmHWM), 8×": true,
	}
	for name, w := range want {
		if got, ok := met[name]; !ok || got != w {
			t.Errorf("target %q: met=%v (present %v), want %v", name, got, ok, w)
		}
	}
	md := markdown(res)
	for _, s := range []string{"2 × Test CPU", "| 1× | 8× |", "**75%**", "| latency p99, 1 client, 8× | ≤ 20 ms | 30.00 ms | **missed** |"} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
}

// The plot is well-formed SVG with a line per engine and percentile, and
// the race table and targets show the ratios.
func TestRaceReport(t *testing.T) {
	res := &Results{Race: []*RaceRun{
		{Copies: 1, Documents: 14595, Ours: RaceSide{Mixed: LoadReport{P50MS: 2, P99MS: 9}, Long: LoadReport{P50MS: 4}, MixedQPS: LoadReport{QPS: 500, Clients: 8}},
			Naive: RaceSide{Mixed: LoadReport{P50MS: 3, P99MS: 8}, MixedQPS: LoadReport{QPS: 400, Clients: 8}}, Ratio: RaceRatio{MixedP50: 0.67, MixedP99: 1.12, QPS: 1.25}},
		{Copies: 8, Documents: 65460, Ours: RaceSide{Mixed: LoadReport{P50MS: 3, P99MS: 20}}, Naive: RaceSide{Mixed: LoadReport{P50MS: 9, P99MS: 40}}},
	}}
	svg := raceSVG(res.Race)
	var doc struct {
		XMLName   xml.Name `xml:"svg"`
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	if len(doc.Polylines) != 4 || len(strings.Fields(doc.Polylines[0].Points)) != 2 {
		t.Errorf("want 4 lines of 2 points: %+v", doc.Polylines)
	}
	res.Targets = targets(res)
	md := markdown(res)
	for _, want := range []string{"2.00 · 3.00 ms (0.67)", "500 · 400 (1.25)", "| mixed p99, 1 client, ours ÷ naive, 1× | ≤ 1.0 | 1.12 | **missed** |", "| long questions p50, 1 client, 1× | ≤ 5 ms | 4.00 ms | met |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
