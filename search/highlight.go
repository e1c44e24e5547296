package search

import (
	"html"
	"sort"
	"strings"

	"healthsearch/analysis"
)

// Fragment is a piece of document text, marked when it matched the query.
// Pages render fragments with their own escaping; the API gets HTML built by
// FragmentsHTML.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// FragmentsHTML escapes every fragment and wraps matches in <mark>.
func FragmentsHTML(frags []Fragment) string {
	var b strings.Builder
	for _, f := range frags {
		if f.Match {
			b.WriteString("<mark>")
			b.WriteString(html.EscapeString(f.Text))
			b.WriteString("</mark>")
		} else {
			b.WriteString(html.EscapeString(f.Text))
		}
	}
	return b.String()
}

// highlighter finds query needles in text. It compares folded text (width,
// case, traditional characters), which has one rune per original rune, so
// marks land on the original characters.
type highlighter struct {
	needles [][]rune
}

func newHighlighter(needles []string) *highlighter {
	h := &highlighter{}
	for _, n := range needles {
		if r := []rune(analysis.FoldText(n)); len(r) > 0 {
			h.needles = append(h.needles, r)
		}
	}
	// Longer needles first, so 医保卡 is marked whole before 医保.
	sort.SliceStable(h.needles, func(i, j int) bool { return len(h.needles[i]) > len(h.needles[j]) })
	return h
}

// marks returns, for each rune of text, whether it is part of a match.
func (h *highlighter) marks(orig []rune) ([]bool, int) {
	folded := []rune(analysis.FoldText(string(orig)))
	if len(folded) != len(orig) {
		folded = orig
	}
	marked := make([]bool, len(orig))
	count := 0
	for _, n := range h.needles {
		for i := 0; i+len(n) <= len(folded); i++ {
			if folded[i] != n[0] || marked[i] {
				continue
			}
			if runesEqual(folded[i:i+len(n)], n) {
				for k := i; k < i+len(n); k++ {
					marked[k] = true
				}
				count++
				i += len(n) - 1
			}
		}
	}
	return marked, count
}

func runesEqual(a, b []rune) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// whole marks all of text (titles).
func (h *highlighter) whole(text string) []Fragment {
	r := []rune(text)
	marked, _ := h.marks(r)
	return toFragments(r, marked)
}

// excerpt cuts a window of about width runes around the densest cluster of
// matches, or the start of the text when nothing matched, and marks it.
func (h *highlighter) excerpt(text string, width int) []Fragment {
	r := []rune(text)
	if len(r) <= width {
		return h.whole(text)
	}
	marked, count := h.marks(r)
	start := 0
	if count > 0 {
		best, sum := -1, 0
		for i := 0; i < len(r); i++ {
			if marked[i] {
				sum++
			}
			if i >= width && marked[i-width] {
				sum--
			}
			if i >= width-1 && sum > best {
				best = sum
				start = i - width + 1
			}
		}
		// Begin a little before the first match in the window, at a
		// sentence boundary when one is close, so the excerpt reads well.
		first := start
		for first < start+width && !marked[first] {
			first++
		}
		start = max(0, first-width/5)
		for k := start; k < first && k < start+width/5; k++ {
			if strings.ContainsRune("。！？；!?;\n", r[k]) {
				start = k + 1
				break
			}
		}
	}
	// A match near the end still gets a full-width excerpt: the window
	// reaches back instead of stopping short at the end of the text.
	start = min(start, len(r)-width)
	end := start + width
	frags := toFragments(r[start:end], marked[start:end])
	if start > 0 {
		frags = append([]Fragment{{Text: "…"}}, frags...)
	}
	if end < len(r) {
		frags = append(frags, Fragment{Text: "…"})
	}
	return frags
}

func toFragments(r []rune, marked []bool) []Fragment {
	var frags []Fragment
	for i := 0; i < len(r); {
		j := i + 1
		for j < len(r) && marked[j] == marked[i] {
			j++
		}
		frags = append(frags, Fragment{Text: string(r[i:j]), Match: marked[i]})
		i = j
	}
	return frags
}
