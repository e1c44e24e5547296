package enrich

import (
	"bufio"
	"fmt"
	"strings"
	"unicode/utf8"
)

type level uint8

const (
	levelProvince level = iota
	levelCity
	levelCounty
)

type place struct {
	code        string
	lvl         level
	name, short string
	prov, city  string // short names; city may equal short for 琼海, 北京
}

// rank orders candidates for one ambiguous name: a province outranks a
// prefecture, which outranks a county. Counties directly under a province
// (琼海, 仙桃) stand in for a prefecture.
func (p *place) rank() level {
	if p.lvl == levelCounty && (p.city == p.short || p.city == p.name) {
		return levelCity
	}
	return p.lvl
}

// surface is one matchable spelling (full name, short name or alias) and
// every place that is spelled that way.
type surface struct {
	text  string
	cands []int32
	// weak spellings are also ordinary words (安康 'healthy', 合作, 大方) or
	// bare two-character county names (和县, 南县); they count only when the
	// document also names their province or city.
	weak bool
}

type gazetteer struct {
	places   []place
	surfaces []surface
	bySurf   map[string]int32
	block    []string // trap words: no place inside them
	words    []string // for PlaceWords
}

func parseGazetteer(tsv, traps string) (*gazetteer, error) {
	g := &gazetteer{bySurf: map[string]int32{}}
	addSurface := func(s string, pi int32) {
		if s == "" {
			return
		}
		si, ok := g.bySurf[s]
		if !ok {
			si = int32(len(g.surfaces))
			g.bySurf[s] = si
			g.surfaces = append(g.surfaces, surface{text: s})
		}
		for _, c := range g.surfaces[si].cands {
			if c == pi {
				return
			}
		}
		g.surfaces[si].cands = append(g.surfaces[si].cands, pi)
	}
	levels := map[string]level{"province": levelProvince, "city": levelCity, "county": levelCounty}
	sc := bufio.NewScanner(strings.NewReader(tsv))
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("gazetteer.tsv:%d: want 7 columns, got %d", ln, len(f))
		}
		lv, ok := levels[f[1]]
		if !ok || f[2] == "" || f[4] == "" {
			return nil, fmt.Errorf("gazetteer.tsv:%d: bad row %q", ln, line)
		}
		pi := int32(len(g.places))
		g.places = append(g.places, place{code: f[0], lvl: lv, name: f[2], short: f[3], prov: f[4], city: f[5]})
		twoRuneCounty := lv == levelCounty && utf8.RuneCountInString(f[2]) == 2
		addSurface(f[2], pi)
		if !twoRuneCounty {
			g.words = append(g.words, f[2])
		}
		addSurface(f[3], pi)
		if f[3] != "" {
			g.words = append(g.words, f[3])
		}
		if f[6] != "" {
			for _, a := range strings.Split(f[6], ",") {
				addSurface(a, pi)
				g.words = append(g.words, a)
			}
		}
		if twoRuneCounty {
			g.surfaces[g.bySurf[f[2]]].weak = true
		}
	}
	if len(g.places) < 3000 {
		return nil, fmt.Errorf("gazetteer.tsv: only %d places", len(g.places))
	}
	g.words = dedupe(g.words)

	sc = bufio.NewScanner(strings.NewReader(traps))
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("traps.tsv:%d: want \"kind word [why]\", got %q", ln, line)
		}
		switch f[0] {
		case "weak":
			si, ok := g.bySurf[f[1]]
			if !ok {
				return nil, fmt.Errorf("traps.tsv:%d: weak %q is not a place name", ln, f[1])
			}
			g.surfaces[si].weak = true
		case "block":
			g.block = append(g.block, f[1])
		default:
			return nil, fmt.Errorf("traps.tsv:%d: unknown kind %q (want weak or block)", ln, f[0])
		}
	}
	return g, nil
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// placeHit is the first occurrence of a surface in a document.
type placeHit struct {
	surf int32
	pos  int
}

// resolve turns the surfaces found in a document into provinces and cities,
// in order of first mention.
//
// Unambiguous, non-weak names are taken as they are and become the
// document's context. Ambiguous names (several places share them) and weak
// names are then kept only where they agree with that context — a county
// of a city the document names, or of a province it names; an ambiguous
// name with no such support still counts when one candidate outranks the
// rest (朝阳 the prefecture over the districts), otherwise it is dropped
// rather than guessed.
func (g *gazetteer) resolve(hits []placeHit, res *Result) {
	if len(hits) == 0 {
		return
	}
	type pick struct {
		prov, city string
		pos        int
	}
	var picks []pick
	ctxProv := map[string]bool{}
	ctxCity := map[string]bool{}
	var deferred []placeHit
	add := func(p *place, pos int, withCity bool) {
		pk := pick{prov: p.prov, pos: pos}
		if withCity {
			pk.city = p.city // "" for provinces other than 北京, 香港 …
		}
		picks = append(picks, pk)
	}
	for _, h := range hits {
		s := &g.surfaces[h.surf]
		if s.weak {
			deferred = append(deferred, h)
			continue
		}
		if p := g.unique(s.cands); p != nil {
			add(p, h.pos, true)
			ctxProv[p.prov] = true
			if p.city != "" {
				ctxCity[p.city] = true
			}
			continue
		}
		deferred = append(deferred, h)
	}
	for _, h := range deferred {
		s := &g.surfaces[h.surf]
		var inCity, inProv []int32
		for _, c := range s.cands {
			p := &g.places[c]
			if p.city != "" && ctxCity[p.city] {
				inCity = append(inCity, c)
			} else if ctxProv[p.prov] {
				inProv = append(inProv, c)
			}
		}
		switch {
		case len(inCity) > 0:
			g.addShared(inCity, h.pos, add)
		case len(inProv) > 0:
			g.addShared(inProv, h.pos, add)
		case !s.weak:
			if p := g.outranking(s.cands); p != nil {
				add(p, h.pos, true)
			}
		}
	}
	// Order by first mention; a stable insertion sort, as picks are few.
	for i := 1; i < len(picks); i++ {
		for j := i; j > 0 && picks[j].pos < picks[j-1].pos; j-- {
			picks[j], picks[j-1] = picks[j-1], picks[j]
		}
	}
	for _, pk := range picks {
		res.Provinces = appendUnique(res.Provinces, pk.prov)
		if pk.city != "" {
			res.Cities = appendUnique(res.Cities, pk.city)
		}
	}
}

// unique returns the place a name means when that is not in doubt: a single
// candidate, a province among the candidates (海南 is the province, not
// 海南藏族自治州 or 乌海's 海南区), or the highest-ranked of candidates in
// one province (通化 the city over 通化县, both in 吉林).
func (g *gazetteer) unique(cands []int32) *place {
	if len(cands) == 1 {
		return &g.places[cands[0]]
	}
	oneProv := true
	for _, c := range cands {
		if g.places[c].lvl == levelProvince {
			return &g.places[c]
		}
		oneProv = oneProv && g.places[c].prov == g.places[cands[0]].prov
	}
	if oneProv {
		return g.outranking(cands)
	}
	return nil
}

// outranking returns the single highest-ranked candidate, or nil on a tie.
func (g *gazetteer) outranking(cands []int32) *place {
	var best *place
	tie := false
	for _, c := range cands {
		p := &g.places[c]
		switch {
		case best == nil || p.rank() < best.rank():
			best, tie = p, false
		case p.rank() == best.rank():
			tie = true
		}
	}
	if tie {
		return nil
	}
	return best
}

// addShared adds what the context-consistent candidates agree on: the
// province always when they share it, the city only when they share that
// too.
func (g *gazetteer) addShared(cands []int32, pos int, add func(*place, int, bool)) {
	if p := g.outranking(cands); p != nil {
		add(p, pos, true)
		return
	}
	first := &g.places[cands[0]]
	sameProv, sameCity := true, true
	for _, c := range cands[1:] {
		p := &g.places[c]
		sameProv = sameProv && p.prov == first.prov
		sameCity = sameCity && p.city == first.city
	}
	if sameProv {
		add(first, pos, sameCity)
	}
}

func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
