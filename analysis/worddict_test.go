package analysis

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The compiled dictionary answers every lookup as gse's Find does: each
// prefix of each Han run of the test texts, known or not.
func TestDictLookupMatchesGseFind(t *testing.T) {
	seg, err := Segmenter()
	if err != nil {
		t.Fatal(err)
	}
	d, err := SharedDict()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, text := range dagTexts(t)[:600] {
		rs := []rune(foldString(text))
		for i := range rs {
			for j := i + 1; j <= min(len(rs), i+8); j++ {
				w := string(rs[i:j])
				wantF, _, wantOK := seg.Dict.Find([]byte(w))
				gotF, gotOK := d.Lookup(w)
				if gotF != wantF || gotOK != wantOK {
					t.Fatalf("Lookup(%q) = %v, %v; gse Find %v, %v", w, gotF, gotOK, wantF, wantOK)
				}
				checked++
			}
		}
	}
	if d.total != seg.Dict.TotalFreq() || d.Words() < 300000 {
		t.Errorf("total %v (gse %v), %d words", d.total, seg.Dict.TotalFreq(), d.Words())
	}
	t.Logf("%d lookups, %d words, %d nodes", checked, d.Words(), len(d.label))
}

// A dictionary read back from its file is the one written, and cuts the
// same; a damaged file is an error, never a panic or a wrong dictionary.
func TestDictFile(t *testing.T) {
	d, err := SharedDict()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDict(dir, d); err != nil {
		t.Fatal(err)
	}
	back, err := GenerationDict(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.label, d.label) || !slices.Equal(back.first, d.first) || !slices.Equal(back.freq, d.freq) ||
		back.total != d.total || back.maxLen != d.maxLen || back.analysis.Diff(d.analysis) != "" || !slices.Equal(back.single, d.single) {
		t.Fatal("dictionary read back differs")
	}
	tk := &Tokenizer{dict: back, t2s: traditionalToSimplified(), subwords: true}
	orig, err := NewTokenizer(true)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("医保卡如何跨省使用，肠梨形鞭毛虫病的治疗")
	if got, want := streamOf(tk.Tokenize(text)), streamOf(orig.Tokenize(text)); !slices.Equal(got, want) {
		t.Errorf("tokens with the read-back dictionary %v, want %v", got, want)
	}

	data, err := os.ReadFile(filepath.Join(dir, dictFile))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	damaged := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("healthsearch-dict 9\n"), data[len(dictMagic):]...),
		"truncated": data[:len(data)/2],
		"trailing":  append(slices.Clone(data), 0),
		"header":    append(append([]byte(dictMagic), bytes.Repeat([]byte{0xff}, 32)...), data[len(dictMagic)+32:]...),
	}
	for i := 0; i < 20; i++ {
		b := slices.Clone(data)
		for k := 0; k < 8; k++ {
			b[len(dictMagic)+rng.IntN(len(b)-len(dictMagic))] ^= byte(1 + rng.IntN(255))
		}
		damaged["flipped"+strings.Repeat("'", i)] = b
	}
	for name, b := range damaged {
		d, err := decodeDict(b)
		if strings.HasPrefix(name, "flipped") {
			// Flipped frequencies or labels can decode: only the walk's
			// safety is at stake, so walk it.
			if err == nil {
				tk := &Tokenizer{dict: d, t2s: traditionalToSimplified(), subwords: true}
				tk.Tokenize(text)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s file decoded", name)
		}
	}
}

func TestDictLookupUnknown(t *testing.T) {
	d, err := SharedDict()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"", "\U0002A6D6", "abc", "医保卡", "医"} {
		f, ok := d.Lookup(w)
		t.Logf("%q: %v %v", w, f, ok)
		if w == "医保卡" && (!ok || f <= 0) {
			t.Errorf("医保卡 not a word: %v %v", f, ok)
		}
		if !utf8.ValidString(w) {
			t.Fatal("bad test")
		}
	}
}

// WriteTo reports the bytes it wrote, as io.WriterTo says.
func TestDictWriteToCount(t *testing.T) {
	d, err := SharedDict()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	n, err := d.WriteTo(&b)
	if err != nil || n != int64(b.Len()) || n == 0 {
		t.Errorf("WriteTo = %d, %v; wrote %d bytes", n, err, b.Len())
	}
}
