package analysis

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
)

// tok is one expected token; the tests compare whole streams.
type tok struct {
	Term       string
	Pos        int
	Start, End int
	Type       analysis.TokenType
}

func (t tok) String() string {
	return fmt.Sprintf("{%q pos=%d [%d:%d] type=%d}", t.Term, t.Pos, t.Start, t.End, t.Type)
}

func streamOf(ts analysis.TokenStream) []tok {
	out := make([]tok, len(ts))
	for i, t := range ts {
		out[i] = tok{string(t.Term), t.Position, t.Start, t.End, t.Type}
	}
	return out
}

func diffStreams(t *testing.T, input string, got, want []tok) {
	t.Helper()
	if fmt.Sprint(got) == fmt.Sprint(want) {
		return
	}
	var b strings.Builder
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		mark := "  "
		if g != w {
			mark = "!="
		}
		fmt.Fprintf(&b, "\n%s got %-40s want %s", mark, g, w)
	}
	t.Errorf("token stream of %q differs:%s", input, b.String())
}

func namedAnalyzer(t testing.TB, name string) analysis.Analyzer {
	t.Helper()
	an, err := bleve.Config.Cache.AnalyzerNamed(name)
	if err != nil {
		t.Fatalf("analyzer %s from bleve's registry: %v", name, err)
	}
	return an
}

// analyze runs an on a copy of input: bleve's filters rewrite terms in
// place, and the tests compare offsets against the untouched input.
func analyze(an analysis.Analyzer, input string) analysis.TokenStream {
	return an.Analyze([]byte(input))
}

const (
	alnum = analysis.AlphaNumeric
	ideo  = analysis.Ideographic
	num   = analysis.Numeric
)

var analyzerCases = []struct {
	name, input string
	want        []tok
}{
	{
		name:  "sub-word at parent position",
		input: "医保卡如何跨省使用",
		want: []tok{
			{"医保卡", 1, 0, 9, ideo},
			{"医保", 1, 0, 6, ideo},
			{"如何", 2, 9, 15, ideo},
			{"跨省", 3, 15, 21, ideo},
			{"使用", 4, 21, 27, ideo},
		},
	},
	{
		name:  "repeated tokens keep their own offsets",
		input: "医保卡和医保，医保",
		want: []tok{
			{"医保卡", 1, 0, 9, ideo},
			{"医保", 1, 0, 6, ideo},
			{"和", 2, 9, 12, ideo},
			{"医保", 3, 12, 18, ideo},
			{"医保", 4, 21, 27, ideo},
		},
	},
	{
		name:  "mixed Chinese Latin digits",
		input: "医保卡ABC 123abc跨省2025年",
		want: []tok{
			{"医保卡", 1, 0, 9, ideo},
			{"医保", 1, 0, 6, ideo},
			{"abc", 2, 9, 12, alnum},
			{"123abc", 3, 13, 19, alnum},
			{"跨省", 4, 19, 25, ideo},
			{"2025", 5, 25, 29, num},
			{"年", 6, 29, 32, ideo},
		},
	},
	{
		name:  "full-width folded, offsets of the original",
		input: "ＡＢＣ１２３",
		want:  []tok{{"abc123", 1, 0, 18, alnum}},
	},
	{
		name:  "full-width digits are numeric",
		input: "２０２５年",
		want:  []tok{{"2025", 1, 0, 12, num}, {"年", 2, 12, 15, ideo}},
	},
	{
		name:  "traditional folded to simplified",
		input: "醫保卡",
		want:  []tok{{"医保卡", 1, 0, 9, ideo}, {"医保", 1, 0, 6, ideo}},
	},
	{
		name:  "emoji and punctuation separate words without positions",
		input: "医保😀卡，跨省！",
		want: []tok{
			{"医保", 1, 0, 6, ideo},
			{"卡", 2, 10, 13, ideo},
			{"跨省", 3, 16, 22, ideo},
		},
	},
	{
		name:  "invalid UTF-8 bytes split words",
		input: "医\xff保卡\xc3",
		want: []tok{
			{"医", 1, 0, 3, ideo},
			{"保", 2, 4, 7, ideo},
			{"卡", 3, 7, 10, ideo},
		},
	},
	{
		name:  "ideographic space",
		input: "异地就医\u3000备案",
		want: []tok{
			{"异地就医", 1, 0, 12, ideo},
			{"异地", 1, 0, 6, ideo},
			{"就医", 1, 6, 12, ideo},
			{"备案", 2, 15, 21, ideo},
		},
	},
	{
		name:  "long domain word with nested sub-words",
		input: "门诊慢特病",
		want: []tok{
			{"门诊慢特病", 1, 0, 15, ideo},
			{"门诊", 1, 0, 6, ideo},
			{"慢特病", 1, 6, 15, ideo},
		},
	},
	{name: "empty", input: "", want: []tok{}},
	{name: "only punctuation", input: "，。！？ 😀", want: []tok{}},
}

func TestAnalyzerTokenStreams(t *testing.T) {
	an := namedAnalyzer(t, AnalyzerName)
	for _, c := range analyzerCases {
		t.Run(c.name, func(t *testing.T) {
			diffStreams(t, c.input, streamOf(analyze(an, c.input)), c.want)
		})
	}
}

// The tokenizer alone keeps the original bytes as terms; folding is the
// analyzer's filters' job. Offsets and positions are the same.
func TestTokenizerKeepsOriginalTerms(t *testing.T) {
	tk, err := bleve.Config.Cache.TokenizerNamed(TokenizerName)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range analyzerCases {
		t.Run(c.name, func(t *testing.T) {
			want := make([]tok, len(c.want))
			for i, w := range c.want {
				w.Term = c.input[w.Start:w.End]
				want[i] = w
			}
			diffStreams(t, c.input, streamOf(tk.Tokenize([]byte(c.input))), want)
		})
	}
}

func TestTokenizerWithoutSubwords(t *testing.T) {
	tk, err := NewTokenizer(false)
	if err != nil {
		t.Fatal(err)
	}
	in := "医保卡如何跨省使用"
	want := []tok{
		{"医保卡", 1, 0, 9, ideo},
		{"如何", 2, 9, 15, ideo},
		{"跨省", 3, 15, 21, ideo},
		{"使用", 4, 21, 27, ideo},
	}
	diffStreams(t, in, streamOf(tk.Tokenize([]byte(in))), want)
}

func TestBigramAnalyzer(t *testing.T) {
	an := namedAnalyzer(t, BigramAnalyzerName)
	cases := []struct {
		input string
		want  []tok
	}{
		{"医保卡如何", []tok{
			{"医保", 1, 0, 6, analysis.Double},
			{"保卡", 2, 3, 9, analysis.Double},
			{"卡如", 3, 6, 12, analysis.Double},
			{"如何", 4, 9, 15, analysis.Double},
		}},
		{"醫保 ABC", []tok{
			{"医保", 1, 0, 6, analysis.Double},
			{"abc", 2, 7, 10, alnum},
		}},
		{"卡", []tok{{"卡", 1, 0, 3, analysis.Single}}},
		{"", []tok{}},
	}
	for _, c := range cases {
		diffStreams(t, c.input, streamOf(analyze(an, c.input)), c.want)
	}
}

// The bigram twin must see the same folded text as the word field: full-width
// digits and invalid bytes used to lose tokens in bleve's unicode tokenizer.
func TestBigramAnalyzerFoldsBeforeTokenizing(t *testing.T) {
	an := namedAnalyzer(t, BigramAnalyzerName)
	terms := func(in string) []string {
		var out []string
		for _, tk := range analyze(an, in) {
			out = append(out, string(tk.Term))
		}
		return out
	}
	for _, c := range []struct {
		input string
		want  []string
	}{
		{"ＡＢＣ１２３", []string{"abc123"}},
		{"２０２５年医保", []string{"2025", "年医", "医保"}},
		{"医\xff保卡", []string{"医", "保卡"}},
	} {
		if got := terms(c.input); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("bigram terms of %q = %q, want %q", c.input, got, c.want)
		}
	}
}

// seedText returns all seed pages concatenated.
func seedText(t testing.TB) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "seeds", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed pages: %v", err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// checkStreamInvariants checks what highlighting and phrase queries rely on:
// every term is the folded text at its offsets, positions never go back, and
// sub-words lie inside the parent word at their position.
func checkStreamInvariants(t *testing.T, input string, ts analysis.TokenStream) {
	t.Helper()
	lastPos, parentStart, parentEnd := 0, 0, 0
	for i, tk := range ts {
		if tk.Start < 0 || tk.End > len(input) || tk.Start >= tk.End {
			t.Fatalf("token %d %q has offsets [%d:%d] outside input of %d bytes", i, tk.Term, tk.Start, tk.End, len(input))
		}
		orig := input[tk.Start:tk.End]
		if !utf8.ValidString(orig) {
			t.Fatalf("token %d [%d:%d] covers invalid UTF-8 %q", i, tk.Start, tk.End, orig)
		}
		if want := strings.ToLower(FoldText(orig)); string(tk.Term) != want {
			t.Fatalf("token %d: input[%d:%d] = %q folds to %q, term is %q", i, tk.Start, tk.End, orig, want, tk.Term)
		}
		switch {
		case tk.Position < lastPos:
			t.Fatalf("token %d %q: position %d after %d", i, tk.Term, tk.Position, lastPos)
		case tk.Position == lastPos:
			if tk.Start < parentStart || tk.End > parentEnd {
				t.Fatalf("sub-word %q [%d:%d] outside its parent [%d:%d]", tk.Term, tk.Start, tk.End, parentStart, parentEnd)
			}
		default:
			if tk.Position != lastPos+1 {
				t.Fatalf("token %d %q: position %d skips from %d", i, tk.Term, tk.Position, lastPos)
			}
			if tk.Start < parentEnd {
				t.Fatalf("word %q [%d:%d] overlaps the previous word ending at %d", tk.Term, tk.Start, tk.End, parentEnd)
			}
			lastPos, parentStart, parentEnd = tk.Position, tk.Start, tk.End
		}
	}
}

func TestAnalyzerOffsetsProperty(t *testing.T) {
	an := namedAnalyzer(t, AnalyzerName)
	text := seedText(t)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 400
	if testing.Short() {
		n = 50
	}
	for i := 0; i < n; i++ {
		// Byte offsets, not rune offsets: slices may start or end inside a
		// character, which must give sane tokens, not a panic.
		from := rng.IntN(len(text))
		to := min(len(text), from+1+rng.IntN(600))
		input := text[from:to]
		if i%7 == 0 {
			input = strings.ToUpper(input) + "ＡＢＣ醫療" + input
		}
		checkStreamInvariants(t, input, analyze(an, input))
	}
	checkStreamInvariants(t, text, analyze(an, text))
}

func TestAnalyzerDoesNotKeepInput(t *testing.T) {
	// bleve hands the analyzer a copy for stored fields; the tokenizer must
	// not hold on to state between calls either.
	an := namedAnalyzer(t, AnalyzerName)
	a := streamOf(analyze(an, "医保卡跨省"))
	_ = analyze(an, "完全不同的文本ABC")
	b := streamOf(analyze(an, "医保卡跨省"))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same input gave %v then %v", a, b)
	}
}

func TestAddUserDictAfterLoadFails(t *testing.T) {
	if _, err := Segmenter(); err != nil {
		t.Fatal(err)
	}
	dict := filepath.Join(t.TempDir(), "user.txt")
	if err := os.WriteFile(dict, []byte("跨省共济\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := AddUserDict(dict); err == nil {
		t.Error("AddUserDict after the segmenter loaded succeeded; it must refuse")
	}
}

// The segmenter is a process-wide singleton loaded once, so a user
// dictionary is tested in a child process that adds it before first use.
func TestAddUserDict(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a second gse dictionary in a child process")
	}
	dir := t.TempDir()
	dict := filepath.Join(dir, "user.txt")
	if err := os.WriteFile(dict, []byte("# comment\n\n跨省共济 60000 n\n醫療互助\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAddUserDictChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "HEALTHSEARCH_TEST_USER_DICT="+dict)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestAddUserDictChild")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestAddUserDictChild(t *testing.T) {
	dict := os.Getenv("HEALTHSEARCH_TEST_USER_DICT")
	if dict == "" {
		t.Skip("run by TestAddUserDict")
	}
	if err := AddUserDict(filepath.Join(filepath.Dir(dict), "missing.txt")); err == nil {
		t.Fatal("AddUserDict of a missing file succeeded")
	}
	if err := AddUserDict(dict); err != nil {
		t.Fatal(err)
	}
	an := namedAnalyzer(t, AnalyzerName)
	in := "跨省共济医疗互助"
	want := []tok{
		{"跨省共济", 1, 0, 12, ideo},
		{"跨省", 1, 0, 6, ideo},
		{"共济", 1, 6, 12, ideo},
		// the dictionary word is folded: 醫療互助 matches simplified text
		{"医疗互助", 2, 12, 24, ideo},
		{"医疗", 2, 12, 18, ideo},
		{"互助", 2, 18, 24, ideo},
	}
	diffStreams(t, in, streamOf(analyze(an, in)), want)
}

func TestBadUserDictLine(t *testing.T) {
	seg, err := Segmenter()
	if err != nil {
		t.Fatal(err)
	}
	// The bad line comes first, so nothing is added to the shared segmenter.
	err = addDictWords(seg, "bad.txt", []byte("# comment\n坏词 zero\n好词 10\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("bad frequency: err = %v, want one naming bad.txt:2", err)
	}
}
