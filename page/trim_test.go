package page

import (
	"strings"
	"testing"
	"unicode"
)

// indexTrimmable tells trimmable runes by their bytes; it must agree with
// isTrimmable on every rune, wherever it stands.
func TestIndexTrimmable(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		for _, s := range []string{string(r), "医" + string(r) + "x", "ab" + string(r)} {
			if got, want := indexTrimmable(s), strings.IndexFunc(s, isTrimmable); got != want {
				t.Fatalf("indexTrimmable(%q) = %d, want %d (U+%04X)", s, got, want, r)
			}
		}
	}
}
