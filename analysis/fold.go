package analysis

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

var (
	t2sOnce  sync.Once
	t2sTable *t2sRunes
)

// t2sRunes maps the Han runes U+3400-U+9FFF to their simplified forms, 0
// where a rune has none. Every Han rune of every text is looked up (twice,
// for the word and bigram fields): an array does it in a fraction of a
// map's time.
type t2sRunes [0x9FFF - 0x3400 + 1]rune

// traditionalToSimplified returns a rune-to-rune view of OpenCC's t2s tables.
// OpenCC converts phrase by phrase and can change a text's length; a
// one-rune-for-one-rune table keeps every token offset pointing at the
// original text, which highlighting depends on. Building it costs ~15 ms once.
func traditionalToSimplified() *t2sRunes {
	t2sOnce.Do(func() {
		t2sTable = new(t2sRunes)
		cc, err := opencc.New("t2s")
		if err != nil {
			// The tables are embedded in the library; failing here means a
			// broken build, and folding is an improvement, not a necessity.
			return
		}
		for r := rune(0x3400); r <= 0x9FFF; r++ {
			out, err := cc.Convert(string(r))
			if err != nil || utf8.RuneCountInString(out) != 1 {
				continue
			}
			if o, _ := utf8.DecodeRuneInString(out); o != r && o != utf8.RuneError {
				t2sTable[r-0x3400] = o
			}
		}
	})
	return t2sTable
}

// foldRune maps a rune to the form both the index and queries use:
// full-width ASCII to half-width, the ideographic space to a space,
// lower case, traditional to simplified. It never changes the rune count.
func foldRune(r rune, t2s *t2sRunes) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r == 0x3000:
		return ' '
	case r >= 0x3400 && r <= 0x9FFF:
		if s := t2s[r-0x3400]; s != 0 {
			return s
		}
		return r
	}
	return unicode.ToLower(r)
}

// foldString folds every rune of s (see foldRune).
func foldString(s string) string {
	t2s := traditionalToSimplified()
	changed := false
	for _, r := range s {
		if foldRune(r, t2s) != r {
			changed = true
			break
		}
	}
	if !changed {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, foldRune(r, t2s))
	}
	return string(out)
}

// FoldText is the normalisation applied to text before it is compared with
// indexed terms outside the analyzer (suggestions, synonyms, dictionaries).
func FoldText(s string) string { return foldString(s) }

// IsHan reports whether r is a CJK ideograph (the unified ideographs,
// extensions A to F and the compatibility ideographs): the script gse
// segments, and what the query side counts as Chinese. It is the project's
// one definition; bigramClass keeps bleve's narrower Unicode 3.0 ranges on
// purpose, since it reproduces what bleve's bigram filter pairs.
func IsHan(r rune) bool { return isHan(r) }

func isHan(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2FA1F) || (r >= 0xF900 && r <= 0xFAFF)
}

// isWordRune reports letters and digits other than Han that form Latin-style words.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || ('A' <= r && r <= 'Z')
	}
	return !isHan(r) && (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Hiragana, r) && !unicode.Is(unicode.Katakana, r)
}

// Folder folds single runes as FoldText does, for code that walks text
// rune by rune (the indexer's bigram counter).
type Folder struct{ t2s *t2sRunes }

// NewFolder returns a Folder on the shared traditional-to-simplified table.
func NewFolder() Folder { return Folder{t2s: traditionalToSimplified()} }

// Rune folds r.
func (f Folder) Rune(r rune) rune { return foldRune(r, f.t2s) }
