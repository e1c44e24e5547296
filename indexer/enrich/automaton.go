package enrich

import (
	"sort"
	"unicode/utf8"
)

// trie is a rune trie over every pattern the enricher knows (place names,
// trap words, topic phrases), scanned leftmost-longest so one pass over a
// text finds places and topic phrases together, and a longer word (广西壮族
// 自治区, 合作医疗) always hides the shorter ones inside it.
//
// Transitions out of the root, which every text position consults, sit in
// a flat array indexed by rune; deeper transitions are short sorted slices.
type trie struct {
	root  []int32 // first rune -> node; 0 = none (node 0 is the root itself)
	nodes []tnode
	edges []tedge
}

type tnode struct {
	lo, hi int32 // edges[lo:hi], sorted by rune
	pat    int32 // pattern ending here, or -1
}

type tedge struct {
	r  rune
	to int32
}

// rootSpan covers ASCII and the CJK Unified Ideographs block; rarer first
// runes fall back to the root's edge list.
const rootSpan = 0xA000

type buildNode struct {
	next map[rune]int32
	pat  int32
}

type trieBuilder struct{ nodes []buildNode }

func newTrieBuilder() *trieBuilder {
	return &trieBuilder{nodes: []buildNode{{pat: -1}}}
}

// add inserts s for pattern id; the caller guarantees one id per string.
func (b *trieBuilder) add(s string, id int32) {
	n := int32(0)
	for _, r := range s {
		r = fold(r)
		if b.nodes[n].next == nil {
			b.nodes[n].next = map[rune]int32{}
		}
		c, ok := b.nodes[n].next[r]
		if !ok {
			c = int32(len(b.nodes))
			b.nodes = append(b.nodes, buildNode{pat: -1})
			b.nodes[n].next[r] = c
		}
		n = c
	}
	b.nodes[n].pat = id
}

func (b *trieBuilder) build() *trie {
	t := &trie{root: make([]int32, rootSpan), nodes: make([]tnode, len(b.nodes))}
	for i, bn := range b.nodes {
		keys := make([]rune, 0, len(bn.next))
		for r := range bn.next {
			keys = append(keys, r)
		}
		sort.Slice(keys, func(x, y int) bool { return keys[x] < keys[y] })
		lo := int32(len(t.edges))
		for _, r := range keys {
			t.edges = append(t.edges, tedge{r, bn.next[r]})
			if i == 0 && r < rootSpan {
				t.root[r] = bn.next[r]
			}
		}
		t.nodes[i] = tnode{lo: lo, hi: int32(len(t.edges)), pat: bn.pat}
	}
	return t
}

// fold makes ASCII letters case-insensitive (HPV, hpv, Hpv).
func fold(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

func (t *trie) child(n int32, r rune) int32 {
	nd := &t.nodes[n]
	lo, hi := nd.lo, nd.hi
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if t.edges[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < nd.hi && t.edges[lo].r == r {
		return t.edges[lo].to
	}
	return 0
}

func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return fold(rune(c)), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n
}

// scan reports the leftmost-longest, non-overlapping pattern matches in s.
// veto, when not nil, may reject a match given the rune that follows it
// (海南区 before 域 is 海南 + 区域); the next shorter match at the same start
// is tried instead.
func (t *trie) scan(s string, veto func(pat int32, next rune) bool, hit func(pat int32, start, end int)) {
	// Matches ending along one walk, shortest first; names are short, so a
	// fixed array holds them all in practice (extra ones are dropped, which
	// only loses fallbacks).
	var ends [8]struct {
		pat int32
		end int
	}
	for i := 0; i < len(s); {
		r, sz := decode(s, i)
		var n int32
		if r < rootSpan {
			n = t.root[r]
		} else {
			n = t.child(0, r)
		}
		if n == 0 {
			i += sz
			continue
		}
		k := 0
		if p := t.nodes[n].pat; p >= 0 {
			ends[k].pat, ends[k].end = p, i+sz
			k++
		}
		for j := i + sz; j < len(s); {
			r2, sz2 := decode(s, j)
			if n = t.child(n, r2); n == 0 {
				break
			}
			j += sz2
			if p := t.nodes[n].pat; p >= 0 {
				if k == len(ends) {
					copy(ends[:], ends[1:])
					k--
				}
				ends[k].pat, ends[k].end = p, j
				k++
			}
		}
		matched := false
		for k--; k >= 0; k-- {
			m := ends[k]
			if veto != nil && m.end < len(s) {
				if next, _ := decode(s, m.end); veto(m.pat, next) {
					continue
				}
			}
			hit(m.pat, i, m.end)
			i = m.end
			matched = true
			break
		}
		if !matched {
			i += sz
		}
	}
}
