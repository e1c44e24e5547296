package analysis

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/go-ego/gse"
)

// The tokenizer segments Han runs itself instead of calling gse's Cut and
// looks sub-words up in its own candidate lists; the tokens must be the
// ones it made from gse's Cut and Find (referenceTokenize), whichever way
// the compiled dictionary finds a first character.

// seedsDir holds the bundled seed pages.
var seedsDir = filepath.Join("..", "seeds")

// dagTexts are the seed pages and random strings of their characters, of
// rare characters and of ones that only begin dictionary words, some
// longer than a chunk.
func dagTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	files, _ := filepath.Glob(filepath.Join(seedsDir, "*.txt"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
	}
	var alphabet []rune
	seen := map[rune]bool{}
	for _, r := range strings.Join(texts, "") {
		if isHan(r) && !seen[r] {
			seen[r] = true
			alphabet = append(alphabet, r)
		}
	}
	alphabet = append(alphabet, '㐀', '䶵', '\U00020000', '\U0002A6D6', '豈', '鿋', '丿', '乂')
	others := []rune("ab1 ，。、医保")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		n := 1 + rng.IntN(40)
		if i%100 == 0 {
			n = 1500 // longer than a chunk
		}
		rs := make([]rune, n)
		for j := range rs {
			if i%3 == 0 && rng.IntN(8) == 0 {
				rs[j] = others[rng.IntN(len(others))]
			} else {
				rs[j] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		texts = append(texts, string(rs))
	}
	return append(texts, strings.Repeat("医保", 700), strings.Repeat("的", 1030), "医保卡如何跨省使用", "肠梨形鞭毛虫病")
}

// bothDicts returns tokenizers finding a word's first character each
// way: in the table of single characters, and among the root's children.
func bothDicts(t *testing.T) map[string]*Tokenizer {
	t.Helper()
	tk, err := NewTokenizer(true)
	if err != nil {
		t.Fatal(err)
	}
	if tk.dict.single == nil || tk.dict.maxLen == 0 {
		t.Fatal("no table of single characters, or no longest word")
	}
	search := *tk
	d := *tk.dict
	d.single = nil
	search.dict = &d
	return map[string]*Tokenizer{"table": tk, "root search": &search}
}

func TestCutHanMatchesGse(t *testing.T) {
	compareCuts(t, dagTexts(t), bothDicts(t))
}

// The whole generated corpus (7,264 pages of real medical Q&A, made by the
// repository's generator) cuts as gse cuts it. Under the race detector,
// which slows gse's Cut tenfold, every sixteenth page (`go test ./analysis` without -race checks them all: 1.6 million runs).
func TestCutHanMatchesGseCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the corpus")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: no corpus pages")
	}
	dir := t.TempDir()
	cmd := exec.Command(py, filepath.Join("..", "corpus", "make_pages.py"), "--out", dir, "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_pages.py: %v\n%s", err, out)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil || len(files) < 7000 {
		t.Fatalf("%d corpus pages: %v", len(files), err)
	}
	step := 1
	if raceEnabled {
		step = 16
	}
	var texts []string
	for i := 0; i < len(files); i += step {
		data, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
	}
	tk, err := NewTokenizer(true)
	if err != nil {
		t.Fatal(err)
	}
	compareCuts(t, texts, map[string]*Tokenizer{"table": tk})
}

func compareCuts(t *testing.T, texts []string, tokenizers map[string]*Tokenizer) {
	t.Helper()
	for mode, tk := range tokenizers {
		var sc hanScratch
		runs := 0
		for _, text := range texts {
			folded := []rune(foldString(text))
			for i := 0; i < len(folded); {
				if !isHan(folded[i]) {
					i++
					continue
				}
				j := i + 1
				for j < len(folded) && isHan(folded[j]) {
					j++
				}
				sc.runes = folded[i:j]
				sc.fill()
				for lo := 0; lo < j-i; lo += maxHanChunk {
					hi := min(j-i, lo+maxHanChunk)
					chunk := string(folded[i+lo : i+hi])
					var want []int
					for _, w := range gseSegmenter(t).Cut(chunk, false) {
						want = append(want, utf8.RuneCountInString(w))
					}
					if got := tk.cutHan(&sc, lo, hi); !slices.Equal(got, want) {
						t.Fatalf("%s: cut of %q: got %v, gse %v", mode, chunk, got, want)
					}
					runs++
				}
				i = j
			}
		}
		t.Logf("%s: %d runs compared", mode, runs)
	}
}

func TestTokenizerMatchesGse(t *testing.T) {
	texts := dagTexts(t)
	for mode, tk := range bothDicts(t) {
		for _, text := range texts {
			got := streamOf(tk.Tokenize([]byte(text)))
			want := streamOf(referenceTokenize(tk, gseSegmenter(t), []byte(text)))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				diffStreams(t, text, got, want)
				t.Fatalf("%s: tokens of %q differ", mode, text)
			}
		}
	}
}

func gseSegmenter(t testing.TB) *gse.Segmenter {
	t.Helper()
	seg, err := Segmenter()
	if err != nil {
		t.Fatal(err)
	}
	return seg
}

// referenceTokenize is the tokenizer as it was on gse's Cut and Find.
func referenceTokenize(t *Tokenizer, seg *gse.Segmenter, input []byte) analysis.TokenStream {
	var folded []rune
	var offs []int
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		if r == utf8.RuneError && size <= 1 {
			r = ' '
		}
		folded = append(folded, foldRune(r, t.t2s))
		offs = append(offs, i)
		i += size
	}
	offs = append(offs, len(input))
	var stream analysis.TokenStream
	pos := 0
	emit := func(from, to int, typ analysis.TokenType, samePos bool) {
		if !samePos {
			pos++
		}
		stream = append(stream, &analysis.Token{Term: input[offs[from]:offs[to]], Start: offs[from], End: offs[to], Position: pos, Type: typ})
	}
	for i := 0; i < len(folded); {
		r := folded[i]
		switch {
		case isHan(r):
			j := i + 1
			for j < len(folded) && isHan(folded[j]) {
				j++
			}
			if j-i == 1 {
				emit(i, j, analysis.Ideographic, false)
				i = j
				continue
			}
			for at := i; at < j; {
				end := min(j, at+maxHanChunk)
				var sizes []int
				for _, w := range seg.Cut(string(folded[at:end]), false) {
					sizes = append(sizes, utf8.RuneCountInString(w))
				}
				if end < j && len(sizes) > 1 {
					sizes = sizes[:len(sizes)-1]
				}
				for _, size := range sizes {
					emit(at, at+size, analysis.Ideographic, false)
					if t.subwords && size > 2 {
						for n := 2; n <= min(size-1, maxSubwordRunes); n++ {
							for k := at; k+n <= at+size; k++ {
								if freq, _, ok := seg.Find(string(folded[k : k+n])); ok && freq > 0 {
									emit(k, k+n, analysis.Ideographic, true)
								}
							}
						}
					}
					at += size
				}
			}
			i = j
		case isWordRune(r):
			j := i + 1
			digits := r >= '0' && r <= '9'
			for j < len(folded) && isWordRune(folded[j]) {
				digits = digits && folded[j] >= '0' && folded[j] <= '9'
				j++
			}
			typ := analysis.AlphaNumeric
			if digits {
				typ = analysis.Numeric
			}
			emit(i, j, typ, false)
			i = j
		default:
			i++
		}
	}
	return stream
}
