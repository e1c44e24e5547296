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
	// levelDirect is a county-level unit directly under its province (琼海,
	// 仙桃, 石河子): it stands in for a prefecture.
	levelDirect
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
	if p.lvl == levelDirect {
		return levelCity
	}
	return p.lvl
}

// surface is one matchable spelling (full name, short name or alias) and
// every place that is spelled that way.
type surface struct {
	text  string
	cands []int32
	// weak spellings are ordinary words as often as names (安康, 比如,
	// 和县); they count only right after their province or city (陕西安康,
	// 崇左扶绥). See traps.tsv.
	weak bool
}

type gazetteer struct {
	places   []place
	surfaces []surface
	bySurf   map[string]int32
	block    []string // trap words: no place inside them
	words    []string // for PlaceWords: the strong surfaces, in file order
}

func parseGazetteer(tsv, traps string) (*gazetteer, error) {
	g := &gazetteer{bySurf: map[string]int32{}}
	addSurface := func(s string, pi int32) int32 {
		si, ok := g.bySurf[s]
		if !ok {
			si = int32(len(g.surfaces))
			g.bySurf[s] = si
			g.surfaces = append(g.surfaces, surface{text: s})
		}
		for _, c := range g.surfaces[si].cands {
			if c == pi {
				return si
			}
		}
		g.surfaces[si].cands = append(g.surfaces[si].cands, pi)
		return si
	}
	levels := map[string]level{"province": levelProvince, "city": levelCity, "county": levelCounty, "direct": levelDirect}
	// strongUse marks surfaces that some place uses as more than a bare
	// two-character county short name; the rest (比如, 久治, 原阳, 西林 …)
	// are weak by default, since in running text they are far more often
	// ordinary words or pieces of words (抗原阳性, 阿莫西林) than counties
	// named without their city or province.
	var strongUse []bool
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
		p := &g.places[pi]
		use := func(s string, strong bool) {
			if s == "" {
				return
			}
			si := addSurface(s, pi)
			for int(si) >= len(strongUse) {
				strongUse = append(strongUse, false)
			}
			strongUse[si] = strongUse[si] || strong
		}
		// Bare two-character county names (和县, 南县) read as 和 + 县.
		twoRuneCounty := lv >= levelCounty && utf8.RuneCountInString(f[2]) == 2
		use(f[2], !twoRuneCounty)
		use(f[3], p.rank() != levelCounty || utf8.RuneCountInString(f[3]) >= 3)
		if f[6] != "" {
			for _, a := range strings.Split(f[6], ",") {
				use(a, true)
			}
		}
	}
	if len(g.places) < 3000 {
		return nil, fmt.Errorf("gazetteer.tsv: only %d places", len(g.places))
	}
	for si := range g.surfaces {
		g.surfaces[si].weak = !strongUse[si]
	}

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
		case "weak", "strong":
			si, ok := g.bySurf[f[1]]
			if !ok {
				return nil, fmt.Errorf("traps.tsv:%d: %s %q is not a place name", ln, f[0], f[1])
			}
			g.surfaces[si].weak = f[0] == "weak"
		case "block":
			if _, ok := g.bySurf[f[1]]; ok {
				return nil, fmt.Errorf("traps.tsv:%d: block %q is itself a place name", ln, f[1])
			}
			g.block = append(g.block, f[1])
		default:
			return nil, fmt.Errorf("traps.tsv:%d: unknown kind %q (want weak, strong or block)", ln, f[0])
		}
	}
	// Weak names stay out of the segmenter's dictionary: the ordinary words
	// among them are in it already, and the rest (原阳, 西林) would cut
	// real words apart (抗原|阳性 → 抗/原阳/性).
	for _, s := range g.surfaces {
		if !s.weak {
			g.words = append(g.words, s.text)
		}
	}
	return g, nil
}

// placeHit is a place name found in a document: the first occurrence of a
// strong name, or an occurrence of a weak name right after another place
// name (anchor), as in 崇左扶绥 or 陕西安康.
type placeHit struct {
	surf   int32
	pos    int
	anchor int32 // surface just before a weak name; -1 for strong names
}

// resolve turns the names found in a document into provinces and cities,
// in order of first mention.
//
// Unambiguous strong names are taken as they are and become the document's
// context. A strong name that several places share (城关, 和平区) is kept
// where it agrees with that context — a county of a city or province the
// document names; without such support it still counts when one candidate
// outranks the rest (朝阳区 loses to 朝阳市), otherwise it is dropped rather
// than guessed. A weak name counts only for the places its anchor, the
// name written right before it, contains.
func (g *gazetteer) resolve(hits []placeHit, res *Result) {
	if len(hits) == 0 {
		return
	}
	var picks []pick
	ctxProv := map[string]bool{}
	ctxCity := map[string]bool{}
	var deferred []placeHit
	for _, h := range hits {
		s := &g.surfaces[h.surf]
		if s.weak {
			deferred = append(deferred, h)
			continue
		}
		if p := g.unique(s.cands); p != nil {
			picks = append(picks, pickOf(p, h.pos, true))
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
			var city, prov bool
			if s.weak {
				city, prov = g.contains(h.anchor, p)
			} else {
				city, prov = p.city != "" && ctxCity[p.city], ctxProv[p.prov]
			}
			if city {
				inCity = append(inCity, c)
			} else if prov {
				inProv = append(inProv, c)
			}
		}
		switch {
		case len(inCity) > 0:
			picks = g.addShared(picks, inCity, h.pos)
		case len(inProv) > 0:
			picks = g.addShared(picks, inProv, h.pos)
		case !s.weak:
			if p := g.outranking(s.cands); p != nil {
				picks = append(picks, pickOf(p, h.pos, true))
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

type pick struct {
	prov, city string
	pos        int
}

func pickOf(p *place, pos int, withCity bool) pick {
	pk := pick{prov: p.prov, pos: pos}
	if withCity {
		pk.city = p.city // "" for provinces other than 北京, 香港 …
	}
	return pk
}

// contains reports whether some place spelled like the anchor surface is
// p's city, or p's province.
func (g *gazetteer) contains(anchor int32, p *place) (city, prov bool) {
	if anchor < 0 {
		return false, false
	}
	for _, c := range g.surfaces[anchor].cands {
		a := &g.places[c]
		switch a.lvl {
		case levelProvince:
			prov = prov || a.prov == p.prov
			city = city || (a.city != "" && a.city == p.city)
		case levelCity, levelDirect:
			city = city || (a.prov == p.prov && a.city == p.city)
		}
	}
	return city, prov
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

// addShared adds what the candidates agree on: the one that outranks the
// others, else the province when they share it, with the city only when
// they share that too.
func (g *gazetteer) addShared(picks []pick, cands []int32, pos int) []pick {
	if p := g.outranking(cands); p != nil {
		return append(picks, pickOf(p, pos, true))
	}
	first := &g.places[cands[0]]
	sameProv, sameCity := true, true
	for _, c := range cands[1:] {
		p := &g.places[c]
		sameProv = sameProv && p.prov == first.prov
		sameCity = sameCity && p.city == first.city
	}
	if sameProv {
		picks = append(picks, pickOf(first, pos, sameCity))
	}
	return picks
}

func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}
