package search

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/mozillazg/go-pinyin"

	"healthsearch/analysis"
	"healthsearch/indexer"
	"healthsearch/internal/scorchx"
)

// Suggestion is one autocomplete entry.
type Suggestion struct {
	Text string `json:"text"`
	Kind string `json:"kind"` // "title" or "term"
}

// Suggestion kinds.
const (
	SuggestTitle = "title"
	SuggestTerm  = "term"
)

// suggestEntry is a candidate completion with its popularity.
type suggestEntry struct {
	text   string
	weight int32
}

// suggester completes prefixes from document titles and frequent title
// words. It is built once per generation when the generation opens, so a
// request costs two binary searches and a few range-maximum lookups,
// however many titles share the prefix.
type suggester struct {
	titles suggestPool
	terms  suggestPool
}

// suggestPool indexes entries under several keys each: the folded text,
// its full pinyin and its pinyin initials. Keys are sorted so the keys
// starting with a prefix form one range; a segment tree over the keys'
// scores finds the best entries of that range without visiting all of it,
// which matters for one-letter prefixes like "y" that match thousands.
type suggestPool struct {
	entries []suggestEntry
	keys    []string
	entry   []int32 // entry of each key
	score   []int64 // rank of each key: entry weight, direct text beats pinyin
	tree    []int32 // tree[1] is the argmax of score over all keys
}

// Heteronym readings kept per entry: 重庆 is chongqing to people and
// zhongqing to the dictionary's first reading, but a title of twenty
// characters has thousands of combinations. Words get a few; titles get one
// alternative, which changes their first polyphonic character, the one a
// prefix is most likely to reach.
const (
	termPinyinVariants  = 4
	titlePinyinVariants = 2
	// termMaxRunes is the longest word given termPinyinVariants.
	termMaxRunes = 8
	// pinyinMaxHan ends pinyin keys after this many Han characters: nobody
	// types forty letters of pinyin without the input method turning them
	// into characters, and full-length keys would double the memory.
	pinyinMaxHan = 12
)

// buildSuggester builds the suggester of idx from its documents' titles
// (readTitles, in id order) and its title dictionary.
func buildSuggester(idx bleve.Index, docs []titleDoc) (*suggester, error) {
	titles := collectTitles(docs)
	terms, err := collectTerms(idx)
	if err != nil {
		return nil, err
	}
	return newSuggester(titles, terms), nil
}

// collectTitles returns every distinct title with its popularity: how many
// documents carry it plus how many articles recommend them. Documents come
// in id order, so titles that fold alike keep the same text in every build.
func collectTitles(docs []titleDoc) []suggestEntry {
	pos := map[string]int{}
	var out []suggestEntry
	for _, d := range docs {
		title := strings.TrimSpace(d.title)
		if title == "" {
			continue
		}
		w := int32(1 + d.articles)
		key := suggestKey(title)
		if i, ok := pos[key]; ok {
			out[i].weight += w
			continue
		}
		pos[key] = len(out)
		out = append(out, suggestEntry{text: title, weight: w})
	}
	return out
}

// titleDoc is what the suggester and the doc table need of one document.
type titleDoc struct {
	id, title string
	articles  int    // values of article_ids
	num       uint32 // document number (docNum)
}

// readTitles reads every document's id, number, title and article ids
// from r in one pass over the stored fields, and sorts them by id. Paging
// through a match-all search sorted by _id looked up every document's id
// again for each page, which took three seconds of the server's start on
// 65k documents; reading a scorch index segment by segment takes a tenth
// of a second.
func readTitles(r index.IndexReader) ([]titleDoc, error) {
	var docs []titleDoc
	var err error
	docs, err = readSegmentTitles(r)
	if err == errNotSnapshot {
		docs, err = readDocTitles(r)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].id < docs[j].id })
	return docs, nil
}

func readDocTitles(r index.IndexReader) ([]titleDoc, error) {
	all, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	defer all.Close()
	var docs []titleDoc
	for {
		iid, err := all.Next()
		if err != nil {
			return nil, err
		}
		if iid == nil {
			return docs, nil
		}
		num, ok := scorchx.DocNum(iid)
		if !ok {
			return nil, fmt.Errorf("unexpected internal document id %x", []byte(iid))
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, err
		}
		doc, err := r.Document(id)
		if err != nil {
			return nil, err
		}
		if doc == nil {
			continue
		}
		d := titleDoc{id: id, num: num}
		haveTitle := false
		doc.VisitFields(func(f index.Field) {
			switch f.Name() {
			case indexer.FieldTitle:
				if !haveTitle {
					d.title, haveTitle = string(f.Value()), true
				}
			case indexer.FieldArticleIDs:
				d.articles++
			}
		})
		docs = append(docs, d)
	}
}

// errNotSnapshot says the reader is not one readSegmentTitles can read.
var errNotSnapshot = errors.New("not a scorch snapshot")

// readSegmentTitles reads the stored fields segment by segment
// (scorchx.VisitStored): no id lookup and no document built per document.
// A document's fields come together, _id first.
func readSegmentTitles(r index.IndexReader) ([]titleDoc, error) {
	var docs []titleDoc
	haveTitle := false
	ok, err := scorchx.VisitStored(r, func(doc uint32, field string, value []byte) error {
		if len(docs) == 0 || docs[len(docs)-1].num != doc {
			docs = append(docs, titleDoc{num: doc})
			haveTitle = false
		}
		d := &docs[len(docs)-1]
		switch field {
		case "_id":
			d.id = string(value)
		case indexer.FieldTitle:
			if !haveTitle {
				d.title, haveTitle = string(value), true
			}
		case indexer.FieldArticleIDs:
			d.articles++
		}
		return nil
	})
	if !ok {
		return nil, errNotSnapshot
	}
	return docs, err
}

// collectTerms returns the words of the title field with their document
// frequency, leaving out what nobody would want completed: single
// characters, numbers and question words.
func collectTerms(idx bleve.Index) ([]suggestEntry, error) {
	dict, err := idx.FieldDict(indexer.FieldTitle)
	if err != nil {
		return nil, fmt.Errorf("read title terms: %w", err)
	}
	defer dict.Close()
	stop := suggestVocabulary()
	var out []suggestEntry
	for {
		de, err := dict.Next()
		if err != nil {
			return nil, fmt.Errorf("read title terms: %w", err)
		}
		if de == nil {
			return out, nil
		}
		t := de.Term
		if utf8.RuneCountInString(t) < 2 || isNumber(t) || stop.IsStop(t) || !hasLetter(t) {
			continue
		}
		out = append(out, suggestEntry{text: t, weight: int32(min(de.Count, 1<<30))})
	}
}

// suggestVocabulary is the embedded vocabulary, shared read-only: the
// suggester is built where no engine options are at hand.
var suggestVocabulary = sync.OnceValue(DefaultVocabulary)

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) && r != '.' && r != '%' && r != ',' {
			return false
		}
	}
	return true
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func newSuggester(titles, terms []suggestEntry) *suggester {
	py := newPinyinCache()
	return &suggester{
		titles: newSuggestPool(titles, func(s string) []string { return py.keys(s, titlePinyinVariants) }),
		terms: newSuggestPool(terms, func(s string) []string {
			if utf8.RuneCountInString(s) > termMaxRunes {
				return py.keys(s, titlePinyinVariants)
			}
			return py.keys(s, termPinyinVariants)
		}),
	}
}

func newSuggestPool(entries []suggestEntry, pinyinKeys func(string) []string) suggestPool {
	type keyed struct {
		key   string
		entry int32
		score int64
	}
	var ks []keyed
	for i, e := range entries {
		direct := suggestKey(e.text)
		ks = append(ks, keyed{direct, int32(i), int64(e.weight)*2 + 1})
		for _, k := range pinyinKeys(e.text) {
			if k != direct {
				ks = append(ks, keyed{k, int32(i), int64(e.weight) * 2})
			}
		}
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].key != ks[j].key {
			return ks[i].key < ks[j].key
		}
		return ks[i].score > ks[j].score
	})
	p := suggestPool{
		entries: entries,
		keys:    make([]string, len(ks)),
		entry:   make([]int32, len(ks)),
		score:   make([]int64, len(ks)),
	}
	for i, k := range ks {
		p.keys[i], p.entry[i], p.score[i] = k.key, k.entry, k.score
	}
	n := len(ks)
	p.tree = make([]int32, 2*n)
	for i := 0; i < n; i++ {
		p.tree[n+i] = int32(i)
	}
	for i := n - 1; i > 0; i-- {
		p.tree[i] = p.better(p.tree[2*i], p.tree[2*i+1])
	}
	return p
}

// better returns the key that ranks first: higher score, then the earlier
// key, which in sorted order is the shorter completion.
func (p *suggestPool) better(a, b int32) int32 {
	if p.score[b] > p.score[a] || (p.score[b] == p.score[a] && b < a) {
		return b
	}
	return a
}

// argmax returns the best key in [lo, hi), which must not be empty.
func (p *suggestPool) argmax(lo, hi int) int32 {
	n := len(p.keys)
	best := int32(lo)
	for l, r := lo+n, hi+n; l < r; l, r = l/2, r/2 {
		if l&1 == 1 {
			best = p.better(best, p.tree[l])
			l++
		}
		if r&1 == 1 {
			r--
			best = p.better(best, p.tree[r])
		}
	}
	return best
}

// span is a range of keys and its best key, ordered in a max-heap.
type span struct {
	lo, hi int
	best   int32
}

type spanHeap struct {
	p     *suggestPool
	spans []span
}

func (h *spanHeap) Len() int { return len(h.spans) }
func (h *spanHeap) Less(i, j int) bool {
	// Spans are disjoint, so their best keys differ.
	a, b := h.spans[i].best, h.spans[j].best
	return h.p.better(a, b) == a
}
func (h *spanHeap) Swap(i, j int) { h.spans[i], h.spans[j] = h.spans[j], h.spans[i] }
func (h *spanHeap) Push(x any)    { h.spans = append(h.spans, x.(span)) }
func (h *spanHeap) Pop() any {
	s := h.spans[len(h.spans)-1]
	h.spans = h.spans[:len(h.spans)-1]
	return s
}

// top returns up to n distinct entries with a key starting with prefix,
// best first, skipping entries for which skip is true. It visits O(n·k)
// keys, k being the keys per entry, not the whole matching range.
func (p *suggestPool) top(prefix string, n int, skip func(text string) bool) []suggestEntry {
	lo := sort.SearchStrings(p.keys, prefix)
	hi := lo + sort.Search(len(p.keys)-lo, func(i int) bool { return !strings.HasPrefix(p.keys[lo+i], prefix) })
	if lo >= hi || n <= 0 {
		return nil
	}
	h := &spanHeap{p: p}
	heap.Push(h, span{lo, hi, p.argmax(lo, hi)})
	seen := map[int32]bool{}
	var out []suggestEntry
	for h.Len() > 0 && len(out) < n {
		s := heap.Pop(h).(span)
		b := int(s.best)
		if s.lo < b {
			heap.Push(h, span{s.lo, b, p.argmax(s.lo, b)})
		}
		if b+1 < s.hi {
			heap.Push(h, span{b + 1, s.hi, p.argmax(b+1, s.hi)})
		}
		e := p.entry[b]
		if seen[e] {
			continue
		}
		seen[e] = true
		if !skip(p.entries[e].text) {
			out = append(out, p.entries[e])
		}
	}
	return out
}

// suggest returns up to n completions: titles first, as they lead straight
// to a document, but with a third of the list kept for words when titles
// alone would fill it, since a short word is often the better query.
func (s *suggester) suggest(prefix string, n int) []Suggestion {
	key := suggestKey(prefix)
	out := []Suggestion{}
	if key == "" || n <= 0 {
		return out
	}
	seen := map[string]bool{}
	dup := func(text string) bool { return seen[suggestKey(text)] }
	terms := s.terms.top(key, n, func(string) bool { return false })
	reserve := min(len(terms), max(1, n/3))
	for _, e := range s.titles.top(key, n-reserve, dup) {
		seen[suggestKey(e.text)] = true
		out = append(out, Suggestion{Text: e.text, Kind: SuggestTitle})
	}
	for _, e := range terms {
		if len(out) == n {
			break
		}
		if !dup(e.text) {
			seen[suggestKey(e.text)] = true
			out = append(out, Suggestion{Text: e.text, Kind: SuggestTerm})
		}
	}
	return out
}

// suggestKey is the form prefixes and completions are compared in: folded
// (width, case, traditional characters) and without spaces or apostrophes,
// so "Yi Bao", "yi'bao" and "yibao" are the same prefix.
func suggestKey(s string) string {
	s = analysis.FoldText(strings.TrimSpace(s))
	if !strings.ContainsAny(s, " \t\n'’") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\'', '’':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pinyinCache memoises per-character readings while a suggester is built:
// titles repeat the same few thousand characters.
type pinyinCache struct {
	args     pinyin.Args
	readings map[rune][]string
}

func newPinyinCache() *pinyinCache {
	a := pinyin.NewArgs()
	a.Heteronym = true
	return &pinyinCache{args: a, readings: map[rune][]string{}}
}

// reading returns the distinct toneless readings of a Han character, the
// most common first, or nil for other characters.
func (c *pinyinCache) reading(r rune) []string {
	if rs, ok := c.readings[r]; ok {
		return rs
	}
	var rs []string
	for _, p := range pinyin.SinglePinyin(r, c.args) {
		if p != "" && !slices.Contains(rs, p) {
			rs = append(rs, p)
		}
	}
	c.readings[r] = rs
	return rs
}

// keys returns the full-pinyin and initials keys of s, for up to variants
// heteronym combinations. Letters and digits outside Han pass through
// folded, so "医保APP" is also "yibaoapp". Text without Han gives none: its
// direct key already covers it.
func (c *pinyinCache) keys(s string, variants int) []string {
	folded := suggestKey(s)
	type partial struct{ full, initials string }
	acc := []partial{{}}
	han := 0
	for _, r := range folded {
		rs := c.reading(r)
		if len(rs) == 0 {
			if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				for i := range acc {
					acc[i].full += string(r)
					acc[i].initials += string(r)
				}
			}
			continue
		}
		if han++; han > pinyinMaxHan {
			break
		}
		// Readings outer, combinations inner: acc[0] stays the all-common
		// reading, and rarer readings take what room is left.
		next := make([]partial, 0, min(variants, len(acc)*len(rs)))
		for _, p := range rs {
			for _, a := range acc {
				if len(next) < variants {
					next = append(next, partial{a.full + p, a.initials + p[:1]})
				}
			}
		}
		acc = next
	}
	if han == 0 {
		return nil
	}
	out := make([]string, 0, 2*len(acc))
	for _, a := range acc {
		if !slices.Contains(out, a.full) {
			out = append(out, a.full)
		}
		if !slices.Contains(out, a.initials) {
			out = append(out, a.initials)
		}
	}
	return out
}

// Suggest returns up to n completions of prefix.
func (e *Engine) Suggest(ctx context.Context, prefix string, n int) ([]Suggestion, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := e.current.Load()
	if g == nil || g.suggest == nil {
		return []Suggestion{}, nil
	}
	return g.suggest.suggest(prefix, n), nil
}
