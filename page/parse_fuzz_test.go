package page

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParsePage feeds arbitrary bytes to the parser. The seed corpus lives in
// testdata/fuzz/FuzzParsePage (fragments of the seed pages and malformed
// variants); run it with
//
//	go test ./page -run XXX -fuzz FuzzParsePage -fuzztime 60s
func FuzzParsePage(f *testing.F) {
	f.Add([]byte("标题\n\n正文 一段\n\n提示:本内容不能代替面诊。\n相关推荐\n\n条目\n\n摘要\n\n健康新闻 2025-04-04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePage(data)
		if err != nil {
			known := false
			for _, e := range []error{ErrEmpty, ErrBinary, ErrTooLarge, ErrNoTitle, ErrNoBody} {
				known = known || errors.Is(err, e)
			}
			if !known {
				t.Fatalf("error %v matches none of the exported reasons", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error message is not UTF-8: %q", err)
			}
			if p == nil {
				return
			}
			if !errors.Is(err, ErrNoBody) {
				t.Fatalf("page returned with %v", err)
			}
			if len(p.Body) != 0 || len(p.Related) == 0 {
				t.Fatalf("ErrNoBody page has %d paragraphs and %d items", len(p.Body), len(p.Related))
			}
		}
		if p.Title == "" {
			t.Fatal("parsed page has an empty title")
		}
		if CleanSpaces(p.Title) != p.Title {
			t.Fatalf("title %q is not clean", p.Title)
		}
		lines := append([]string{p.Title}, p.Body...)
		all := append(append([]string{p.Date}, lines...), p.Warnings...)
		for _, it := range p.Related {
			if it.Title == "" {
				t.Fatalf("related item without a title: %+v", it)
			}
			if it.Date != "" {
				if _, err := time.Parse(time.DateOnly, it.Date); err != nil {
					t.Fatalf("related date %q: %v", it.Date, err)
				}
			}
			lines = append(lines, it.Title, it.Snippet)
			all = append(all, it.Title, it.Snippet, it.Date)
		}
		for _, s := range all {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in output: %q", s)
			}
		}
		for _, s := range lines {
			if strings.ContainsAny(s, "\n\r\x00") || s != strings.TrimSpace(s) {
				t.Fatalf("output text %q has a line break, NUL or outer space", s)
			}
		}
		if ArticleDate(p) != "" {
			if _, err := time.Parse(time.DateOnly, ArticleDate(p)); err != nil {
				t.Fatalf("ArticleDate %q: %v", ArticleDate(p), err)
			}
		}
		again, err2 := ParsePage(data)
		if !reflect.DeepEqual(p, again) || (err == nil) != (err2 == nil) {
			t.Fatal("ParsePage is not deterministic")
		}
	})
}

// cleanSpacesReference is the plain rune-by-rune statement of CleanSpaces'
// rule; the real one copies runs of bytes for speed and must agree with it.
func cleanSpacesReference(s string) string {
	var b strings.Builder
	prev := rune(-1)
	pending := false
	for _, r := range s {
		switch {
		case r == '\u200B' || r == '\u2060' || r == '\uFEFF':
			continue
		case unicode.IsSpace(r):
			pending = true
			continue
		}
		if pending && prev >= 0 && keepSpaceBetween(prev, r) {
			b.WriteByte(' ')
		}
		pending = false
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func FuzzCleanSpaces(f *testing.F) {
	for _, s := range []string{"医保 卡", "Giardia lamblia )引起", "a\u3000\u00a0b\u200b c", "bad\xff 医", " \t\n", "🌟 重点", "한국어 문장"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanSpaces(s)
		if want := cleanSpacesReference(strings.ToValidUTF8(s, "\uFFFD")); got != want {
			t.Fatalf("CleanSpaces(%q) = %q, reference %q", s, got, want)
		}
		if !utf8.ValidString(got) || CleanSpaces(got) != got || strings.TrimSpace(got) != got {
			t.Fatalf("CleanSpaces(%q) = %q: invalid, not idempotent or untrimmed", s, got)
		}
	})
}
