package search

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"healthsearch/indexer"
)

// TestAskSetFloors keeps the ranking of the ways people ask from sliding
// back: the judged dev sets (eval/*.jsonl) on the first 3,000 pages of the
// shipped corpus generator (corpus/make_pages.py), each query kept when its
// page is among them, scored as eval/score.py scores (hits matched by type
// and normalised title, repeats skipped, grade ≥ 2 relevant). The floors
// are the figures measured when they were set, less a margin for a change
// that moves two or three queries (each is about 0.012 of a set of 85):
// the word ranking alone, without the question ranking, scores 0.569 and
// 0.65 on ask_full and fails. `make eval` measures the whole corpus.
func TestAskSetFloors(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and indexes 3,000 corpus pages")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: the corpus pages cannot be generated (.ci/run installs it)")
	}
	pages := t.TempDir()
	cmd := exec.Command(py, filepath.Join("..", "corpus", "make_pages.py"), "--out", pages, "--count", "3000", "--force", "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_pages.py: %v\n%s", err, out)
	}
	titles := map[string]bool{}
	err = filepath.WalkDir(pages, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".txt") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		line, _ := bufio.NewReader(f).ReadString('\n')
		titles[scoreKey(indexer.TypeArticle, line)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := indexer.Build(context.Background(), indexer.BuildOptions{Sources: []string{pages}, IndexDir: dir}); err != nil {
		t.Fatal(err)
	}
	e, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	for _, set := range []struct {
		file     string
		mrr, s10 float64
	}{
		{"ask_question_dev.jsonl", 0.62, 0.75}, // measured 0.665, 0.80
		{"ask_full_dev.jsonl", 0.58, 0.66},     // measured 0.621, 0.70
		{"typo_dev.jsonl", 0.93, 0.97},         // measured 0.982, 1.00
		{"dev_corpus.jsonl", 0.95, 0.97},       // measured 1.000, 1.00
	} {
		t.Run(set.file, func(t *testing.T) {
			qs := readJudged(t, filepath.Join("..", "eval", set.file))
			var n int
			var mrr, s10 float64
			for _, q := range qs {
				rel := map[string]bool{}
				inCorpus := false
				for _, j := range q.Judgments {
					if j.Grade >= 2 {
						k := scoreKey(j.Type, j.Title)
						rel[k] = true
						inCorpus = inCorpus || titles[k]
					}
				}
				if !inCorpus {
					continue
				}
				n++
				res, err := e.Search(context.Background(), Request{Query: q.Q, Page: 1, Size: 10})
				if err != nil {
					t.Fatalf("%s: %v", q.Q, err)
				}
				seen := map[string]bool{}
				rank := 0
				for _, h := range res.Hits {
					k := scoreKey(h.Type, h.Title)
					if seen[k] {
						continue
					}
					seen[k] = true
					rank++
					if rel[k] {
						mrr += 1 / float64(rank)
						s10++
						break
					}
				}
			}
			if n < 30 {
				t.Fatalf("only %d queries have their page among the generated ones", n)
			}
			mrr /= float64(n)
			s10 /= float64(n)
			t.Logf("%d queries: MRR %.3f, S@10 %.2f (floors %.2f, %.2f)", n, mrr, s10, set.mrr, set.s10)
			if mrr < set.mrr || s10 < set.s10 {
				t.Errorf("%d queries: MRR %.3f, S@10 %.2f; floors %.2f, %.2f", n, mrr, s10, set.mrr, set.s10)
			}
		})
	}
}

type judgedQuery struct {
	Q         string `json:"q"`
	Judgments []struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		Grade int    `json:"grade"`
	} `json:"judgments"`
}

func readJudged(t *testing.T, path string) []judgedQuery {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []judgedQuery
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		var q judgedQuery
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, q)
	}
	return out
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// scoreKey is how eval/score.py matches a hit to a judgment: type and
// title, tags stripped, NFKC, no whitespace, lower case, edge punctuation
// trimmed.
func scoreKey(typ, title string) string {
	s := norm.NFKC.String(tagRE.ReplaceAllString(title, ""))
	s = strings.ToLower(spaceRE.ReplaceAllString(s, ""))
	return typ + "|" + strings.Trim(s, "?？!！。.,，;；:：~")
}
