package enrich

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// topicFile is the taxonomy file's shape (topics.yaml; JSON with the same
// keys is accepted too).
type topicFile struct {
	Settings topicSettings `yaml:"settings" json:"settings"`
	// Ignore lists boilerplate phrases (disclaimers, the preamble's "当地医保
	// 局官网") that would otherwise vote for a topic on every page; matched
	// like any phrase, they swallow the words inside them and score nothing.
	Ignore []string    `yaml:"ignore" json:"ignore"`
	Topics []topicNode `yaml:"topics" json:"topics"`
}

type topicSettings struct {
	TitleWeight *float64 `yaml:"title_weight" json:"title_weight"`
	Threshold   *float64 `yaml:"threshold" json:"threshold"`
	MinRatio    *float64 `yaml:"min_ratio" json:"min_ratio"`
	MaxTopics   *int     `yaml:"max_topics" json:"max_topics"`
	MaxHits     *int     `yaml:"max_hits" json:"max_hits"`
	TextCap     *float64 `yaml:"text_cap" json:"text_cap"`
}

type topicNode struct {
	Name      string             `yaml:"name" json:"name"`
	Phrases   map[string]float64 `yaml:"phrases" json:"phrases"`
	Subtopics []topicNode        `yaml:"subtopics" json:"subtopics"`
}

// unit is what competes for a document: a subtopic, or a top-level topic's
// own phrases (sub == "") for texts that are about 用药 or 医保 in general.
type unit struct {
	top, sub string
}

type contrib struct {
	unit int32
	w    float32
}

type taxonomy struct {
	names    []string // TopicNames order
	units    []unit
	phrases  []string
	contribs [][]contrib // per phrase
	ignore   []string

	titleWeight, threshold, minRatio, textCap float32
	maxTopics, maxHits                        int
}

func parseTaxonomy(data []byte) (*taxonomy, error) {
	var f topicFile
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, errors.New("topics: empty taxonomy file")
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("topics: JSON: %w", err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(trimmed))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("topics: YAML: %w", err)
		}
	}
	t := &taxonomy{titleWeight: 3, threshold: 4, minRatio: 0.34, maxTopics: 3, maxHits: 3, textCap: 15}
	s := f.Settings
	if s.TitleWeight != nil {
		if !(*s.TitleWeight > 0) || math.IsInf(*s.TitleWeight, 0) {
			return nil, fmt.Errorf("topics: settings.title_weight must be > 0, got %v", *s.TitleWeight)
		}
		t.titleWeight = float32(*s.TitleWeight)
	}
	if s.Threshold != nil {
		if !(*s.Threshold > 0) || math.IsInf(*s.Threshold, 0) {
			return nil, fmt.Errorf("topics: settings.threshold must be > 0, got %v", *s.Threshold)
		}
		t.threshold = float32(*s.Threshold)
	}
	if s.MinRatio != nil {
		if !(*s.MinRatio >= 0 && *s.MinRatio <= 1) {
			return nil, fmt.Errorf("topics: settings.min_ratio must be in [0,1], got %v", *s.MinRatio)
		}
		t.minRatio = float32(*s.MinRatio)
	}
	if s.TextCap != nil {
		if !(*s.TextCap > 0) || math.IsInf(*s.TextCap, 0) {
			return nil, fmt.Errorf("topics: settings.text_cap must be > 0, got %v", *s.TextCap)
		}
		t.textCap = float32(*s.TextCap)
	}
	if s.MaxTopics != nil {
		if *s.MaxTopics < 1 {
			return nil, fmt.Errorf("topics: settings.max_topics must be >= 1, got %d", *s.MaxTopics)
		}
		t.maxTopics = *s.MaxTopics
	}
	if s.MaxHits != nil {
		if *s.MaxHits < 1 || *s.MaxHits > 255 {
			return nil, fmt.Errorf("topics: settings.max_hits must be in 1..255, got %d", *s.MaxHits)
		}
		t.maxHits = *s.MaxHits
	}
	if len(f.Topics) == 0 {
		return nil, errors.New("topics: no topics")
	}

	phraseID := map[string]int32{}
	seenName := map[string]string{}
	claim := func(name, path string) error {
		if strings.TrimSpace(name) != name || name == "" {
			return fmt.Errorf("topics: %s: bad name %q (empty or padded with spaces)", path, name)
		}
		if prev, ok := seenName[name]; ok {
			// Values are flat facet values, so topic=X must mean one thing.
			return fmt.Errorf("topics: %s: name %q already used by %s", path, name, prev)
		}
		seenName[name] = path
		t.names = append(t.names, name)
		return nil
	}
	addPhrases := func(path string, ph map[string]float64, u int32) error {
		keys := make([]string, 0, len(ph))
		for k := range ph {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic pattern ids
		for _, k := range keys {
			w := ph[k]
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("topics: %s: empty phrase", path)
			}
			if !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("topics: %s: phrase %q: weight must be > 0, got %v", path, k, w)
			}
			// Matching folds ASCII case, so CT and ct are one phrase.
			k = foldString(strings.TrimSpace(k))
			id, ok := phraseID[k]
			if !ok {
				id = int32(len(t.phrases))
				phraseID[k] = id
				t.phrases = append(t.phrases, k)
				t.contribs = append(t.contribs, nil)
			}
			t.contribs[id] = append(t.contribs[id], contrib{unit: u, w: float32(w)})
		}
		return nil
	}
	for i, top := range f.Topics {
		path := top.Name
		if path == "" {
			path = fmt.Sprintf("topics[%d]", i)
		}
		if err := claim(top.Name, path); err != nil {
			return nil, err
		}
		if len(top.Phrases) == 0 && len(top.Subtopics) == 0 {
			return nil, fmt.Errorf("topics: %s: no phrases and no subtopics: it could never be assigned", path)
		}
		if len(top.Phrases) > 0 {
			u := int32(len(t.units))
			t.units = append(t.units, unit{top: top.Name})
			if err := addPhrases(path, top.Phrases, u); err != nil {
				return nil, err
			}
		}
		for j, sub := range top.Subtopics {
			sp := path + "/" + sub.Name
			if sub.Name == "" {
				sp = fmt.Sprintf("%s/subtopics[%d]", path, j)
			}
			if err := claim(sub.Name, sp); err != nil {
				return nil, err
			}
			if len(sub.Subtopics) > 0 {
				return nil, fmt.Errorf("topics: %s: only two levels are supported", sp)
			}
			if len(sub.Phrases) == 0 {
				return nil, fmt.Errorf("topics: %s: no phrases: it could never be assigned", sp)
			}
			u := int32(len(t.units))
			t.units = append(t.units, unit{top: top.Name, sub: sub.Name})
			if err := addPhrases(sp, sub.Phrases, u); err != nil {
				return nil, err
			}
		}
	}
	for i, ig := range f.Ignore {
		ig = foldString(strings.TrimSpace(ig))
		if ig == "" {
			return nil, fmt.Errorf("topics: ignore[%d]: empty phrase", i)
		}
		if _, ok := phraseID[ig]; ok {
			return nil, fmt.Errorf("topics: ignore[%d]: %q is also a topic phrase", i, ig)
		}
		t.ignore = append(t.ignore, ig)
	}
	return t, nil
}

// pick chooses the document's topics from unit scores: units at or above
// the threshold and within minRatio of the best, best first, filling at
// most maxTopics slots; then the top-level names in that order, then the
// subtopics. A top-level topic's general unit (its own phrases) shares its
// slot with that topic's subtopics, so 疾病 in general never crowds out a
// specific 医院 or 饮食营养.
func (t *taxonomy) pick(scores []float32, touched []int32, cand []int32, res *Result) []int32 {
	cand = cand[:0]
	var best float32
	for _, u := range touched {
		if s := scores[u]; s >= t.threshold {
			cand = append(cand, u)
			best = max(best, s)
		}
	}
	if len(cand) == 0 {
		return cand
	}
	slices.SortFunc(cand, func(a, b int32) int {
		if sa, sb := scores[a], scores[b]; sa != sb {
			return cmp.Compare(sb, sa)
		}
		return cmp.Compare(a, b)
	})
	// slots records which top-level topics hold a slot, and whether that
	// slot already has a subtopic; a handful at most, so a slice.
	type slot struct {
		top    string
		hasSub bool
	}
	var buf [8]slot
	slots := buf[:0]
	find := func(top string) *slot {
		for i := range slots {
			if slots[i].top == top {
				return &slots[i]
			}
		}
		return nil
	}
	used := 0
	n := 0
	for _, u := range cand {
		if scores[u] < t.minRatio*best {
			break
		}
		un := t.units[u]
		sl := find(un.top)
		switch {
		case un.sub == "" && sl != nil:
			continue // the topic is in already
		case un.sub == "":
			if used == t.maxTopics {
				continue
			}
			slots = append(slots, slot{top: un.top})
			used++
		case sl != nil && !sl.hasSub:
			sl.hasSub = true // takes over its general unit's slot
		case sl != nil:
			// Another subtopic of a topic that is in: a slot of its own.
			if used == t.maxTopics {
				continue
			}
			used++
		default:
			if used == t.maxTopics {
				continue
			}
			slots = append(slots, slot{top: un.top, hasSub: true})
			used++
		}
		cand[n] = u
		n++
	}
	res.Topics = make([]string, 0, 2*n)
	for _, u := range cand[:n] {
		res.Topics = appendUnique(res.Topics, t.units[u].top)
	}
	for _, u := range cand[:n] {
		if s := t.units[u].sub; s != "" {
			res.Topics = appendUnique(res.Topics, s)
		}
	}
	return cand
}
