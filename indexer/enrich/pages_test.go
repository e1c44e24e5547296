package enrich

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// testDoc is one document as the indexer enriches it: an article (page
// title + body) or a related item (item title + snippet).
type testDoc struct {
	file, kind  string // kind: "article" or "item"
	title, text string
}

var dateLine = regexp.MustCompile(`^\S+ \d{4}-\d{2}-\d{2}$`)

// splitPage is a deliberately small stand-in for the indexer's page parser
// (which this package must not import): title, body up to the 提示: line,
// then 相关推荐 items of title / snippet / date.
func splitPage(file, page string) []testDoc {
	lines := strings.Split(strings.ReplaceAll(page, "\r\n", "\n"), "\n")
	var nonEmpty []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			nonEmpty = append(nonEmpty, l)
		}
	}
	if len(nonEmpty) == 0 {
		return nil
	}
	art := testDoc{file: file, kind: "article", title: nonEmpty[0]}
	var body []string
	i := 1
	for ; i < len(nonEmpty); i++ {
		l := nonEmpty[i]
		if strings.HasPrefix(l, "提示:") || l == "相关推荐" {
			break
		}
		if strings.HasPrefix(l, "本信息整理自互联网公开渠道") {
			continue
		}
		body = append(body, l)
	}
	art.text = strings.Join(body, "\n")
	docs := []testDoc{art}
	for ; i < len(nonEmpty) && nonEmpty[i] != "相关推荐"; i++ {
	}
	var cur []string
	for i++; i < len(nonEmpty); i++ {
		l := nonEmpty[i]
		if l == "首页 顶部" {
			break
		}
		if dateLine.MatchString(l) {
			if len(cur) > 0 {
				docs = append(docs, testDoc{file: file, kind: "item", title: cur[0], text: strings.Join(cur[1:], "\n")})
			}
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	if len(cur) > 0 {
		docs = append(docs, testDoc{file: file, kind: "item", title: cur[0], text: strings.Join(cur[1:], "\n")})
	}
	return docs
}

func readPages(t testing.TB, dir string) []testDoc {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".txt") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var docs []testDoc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, splitPage(filepath.Base(f), string(b))...)
	}
	return docs
}

func seedDocs(t testing.TB) []testDoc {
	docs := readPages(t, filepath.Join("..", "..", "seeds"))
	if len(docs) < 100 {
		t.Fatalf("only %d seed documents", len(docs))
	}
	return docs
}

// placeSurfaces lists the place spellings matched in a document, for
// reports on what fired.
func (e *Enricher) placeSurfaces(title, text string) []string {
	var out []string
	for _, s := range []string{title, text} {
		e.trie.scan(s, e.veto, func(pat int32, _, _ int) {
			if p := e.pats[pat]; p.surf >= 0 {
				w := e.gaz.surfaces[p.surf].text
				if e.gaz.surfaces[p.surf].weak {
					w += "(weak)"
				}
				out = append(out, w)
			}
		})
	}
	return out
}

// unitScores returns the non-zero unit scores of a document, for tuning.
func (e *Enricher) unitScores(title, text string) map[string]float32 {
	out := map[string]float32{}
	txt := map[string]float32{}
	t := e.tax
	defer func() {
		for k, v := range txt {
			out[k] += min(v, t.textCap)
		}
	}()
	for fi, s := range []string{title, text} {
		hits := map[int32]int{}
		e.trie.scan(s, e.veto, func(pat int32, _, _ int) {
			p := e.pats[pat]
			if p.phrase < 0 {
				return
			}
			hits[p.phrase]++
			w := float32(1)
			if fi == 0 {
				if hits[p.phrase] > 1 {
					return
				}
				w = t.titleWeight
			} else if hits[p.phrase] > t.maxHits {
				return
			}
			dst := out
			if fi == 1 {
				dst = txt
			}
			for _, c := range t.contribs[p.phrase] {
				u := t.units[c.unit]
				dst[u.top+"/"+u.sub] += w * c.w
			}
		})
	}
	return out
}
