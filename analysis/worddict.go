package analysis

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// Dict is the segmenter's dictionary in the form the tokenizer walks: a
// trie of runes in flat arrays, compiled once from gse's loaded dictionary
// through its public API (Tokens, Find, TotalFreq) and stored in each
// generation (dictFile).
//
// Why not gse's own dictionary: gse keeps every word as a Token with a
// slice per character next to its double-array trie, ~150 MB of heap and
// ~0.6 s to load from its text files at each start; this trie is ~16 MB
// and loads in milliseconds. The words, their frequencies and the total
// frequency are gse's, so the cut is gse's (TestCutHanMatchesGse).
type Dict struct {
	// Node i's children are nodes first[i] to first[i+1]-1, sorted by
	// label; node 0 is the root. freq[i] is the frequency of the word
	// that ends at node i, 0 where the path only begins words.
	label []rune
	first []uint32
	freq  []float64
	total float64
	// maxLen is the longest word in runes: no walk goes further.
	maxLen int
	// single[r-firstDictRune] is the node of the one-character path r,
	// 0 for none: most lookups start at a character of this range, and
	// the root has tens of thousands of children.
	single []uint32
	// analysis is the fingerprint of the dictionaries it was compiled from.
	analysis Analysis
}

const firstDictRune, lastDictRune = 0x3400, 0x9FFF

// compileDict builds the Dict of gse's dictionary d. Tokens holds every
// word ever added, including ones removed or re-added since; Find says
// whether and with what frequency the trie still has each.
func compileDict(d *gse.Dictionary, an Analysis) *Dict {
	type entry struct {
		word []rune
		freq float64
	}
	seen := make(map[string]bool, len(d.Tokens))
	entries := make([]entry, 0, len(d.Tokens))
	for i := range d.Tokens {
		text := d.Tokens[i].Text()
		if seen[text] {
			continue
		}
		seen[text] = true
		freq, _, ok := d.Find([]byte(text))
		if !ok || freq <= 0 {
			continue // removed (or a bare prefix): no word
		}
		entries = append(entries, entry{[]rune(text), freq})
	}
	slices.SortFunc(entries, func(a, b entry) int { return slices.Compare(a.word, b.word) })

	dict := &Dict{total: d.TotalFreq(), analysis: an}
	dict.label, dict.freq = []rune{0}, []float64{0}
	// Breadth first, so each node's children are appended together: the
	// node made for a queue entry has the entry's index.
	type span struct{ lo, hi, depth int }
	queue := []span{{0, len(entries), 0}}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		dict.first = append(dict.first, uint32(len(dict.label)))
		for i := s.lo; i < s.hi; {
			w := entries[i].word
			if len(w) == s.depth {
				i++ // the word ending at this node itself
				continue
			}
			r := w[s.depth]
			j := i + 1
			for j < s.hi && len(entries[j].word) > s.depth && entries[j].word[s.depth] == r {
				j++
			}
			f := 0.0
			if len(w) == s.depth+1 { // sorts first among the words with this prefix
				f = entries[i].freq
			}
			dict.label = append(dict.label, r)
			dict.freq = append(dict.freq, f)
			queue = append(queue, span{i, j, s.depth + 1})
			dict.maxLen = max(dict.maxLen, s.depth+1)
			i = j
		}
	}
	dict.first = append(dict.first, uint32(len(dict.label)))
	dict.index()
	return dict
}

// index fills the table of single characters.
func (d *Dict) index() {
	d.single = make([]uint32, lastDictRune-firstDictRune+1)
	for n := d.first[0]; n < d.first[1]; n++ {
		if r := d.label[n]; r >= firstDictRune && r <= lastDictRune {
			d.single[r-firstDictRune] = n
		}
	}
}

// child returns the node reached from node n by r, or 0.
func (d *Dict) child(n uint32, r rune) uint32 {
	if n == 0 && d.single != nil && r >= firstDictRune && r <= lastDictRune {
		return d.single[r-firstDictRune]
	}
	lo, hi := d.first[n], d.first[n+1]
	if i, ok := slices.BinarySearch(d.label[lo:hi], r); ok {
		return lo + uint32(i)
	}
	return 0
}

// Lookup returns what gse's Find returns for word: its frequency, and
// whether the dictionary has it as a word or the beginning of one.
func (d *Dict) Lookup(word string) (freq float64, ok bool) {
	n := uint32(0)
	for _, r := range word {
		if n = d.child(n, r); n == 0 {
			return 0, false
		}
	}
	return d.freq[n], n != 0
}

// Analysis returns the fingerprint of the dictionaries d was compiled from.
func (d *Dict) Analysis() Analysis { return d.analysis }

// Words is the number of words.
func (d *Dict) Words() int {
	n := 0
	for _, f := range d.freq {
		if f > 0 {
			n++
		}
	}
	return n
}

// The file a generation keeps its dictionary in: a magic line, the
// analysis fingerprint as JSON, then the arrays, little-endian.
const (
	dictFile  = "analysis.dict"
	dictMagic = "healthsearch-dict 1\n"
)

// WriteTo writes d in the dictionary file format.
func (d *Dict) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	meta, err := json.Marshal(d.analysis)
	if err != nil {
		return 0, err
	}
	bw.WriteString(dictMagic)
	hdr := []uint64{uint64(len(meta)), uint64(len(d.label)), uint64(d.maxLen), math.Float64bits(d.total)}
	for _, v := range [][]any{{hdr}, {meta}, {d.label}, {d.first}, {d.freq}} {
		for _, x := range v {
			if err := binary.Write(bw, binary.LittleEndian, x); err != nil {
				return cw.n, err
			}
		}
	}
	err = bw.Flush()
	return cw.n, err
}

// countingWriter counts what it passes on, for WriteTo's count.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadDict reads a dictionary file.
func ReadDict(path string) (*Dict, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := decodeDict(data)
	if err != nil {
		return nil, fmt.Errorf("dictionary %s: %w", path, err)
	}
	return d, nil
}

func decodeDict(data []byte) (*Dict, error) {
	rest, ok := bytes.CutPrefix(data, []byte(dictMagic))
	if !ok {
		return nil, errors.New("not a healthsearch dictionary of this version")
	}
	r := bytes.NewReader(rest)
	hdr := make([]uint64, 4)
	if err := binary.Read(r, binary.LittleEndian, hdr); err != nil {
		return nil, err
	}
	nodes := hdr[1]
	// Every node costs 16 bytes of the file: a header that claims more
	// than the file holds is corrupt, not a reason to allocate.
	if hdr[0] > uint64(len(rest)) || nodes == 0 || nodes > uint64(len(rest))/16 {
		return nil, errors.New("corrupt header")
	}
	meta := make([]byte, hdr[0])
	d := &Dict{maxLen: int(hdr[2]), total: math.Float64frombits(hdr[3])}
	d.label, d.first, d.freq = make([]rune, nodes), make([]uint32, nodes+1), make([]float64, nodes)
	for _, x := range []any{meta, d.label, d.first, d.freq} {
		if err := binary.Read(r, binary.LittleEndian, x); err != nil {
			return nil, err
		}
	}
	if r.Len() != 0 {
		return nil, errors.New("trailing bytes")
	}
	if err := json.Unmarshal(meta, &d.analysis); err != nil {
		return nil, err
	}
	// The walk trusts first: check it once here.
	if d.first[0] != 1 || d.first[nodes] != uint32(nodes) {
		return nil, errors.New("corrupt node table")
	}
	for i := uint64(0); i < nodes; i++ {
		if d.first[i] > d.first[i+1] || (i > 0 && d.first[i] <= uint32(i)) {
			return nil, errors.New("corrupt node table")
		}
	}
	for _, l := range d.label[1:] {
		if !utf8.ValidRune(l) {
			return nil, errors.New("corrupt labels")
		}
	}
	d.index()
	return d, nil
}

// WriteDict stores d in the generation at dir.
func WriteDict(dir string, d *Dict) error {
	f, err := os.Create(filepath.Join(dir, dictFile))
	if err != nil {
		return err
	}
	if _, err := d.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// GenerationDict reads the dictionary the generation at path was built
// with; it returns os.ErrNotExist (wrapped) for a generation from before
// generations carried one.
func GenerationDict(path string) (*Dict, error) {
	return ReadDict(filepath.Join(path, dictFile))
}
