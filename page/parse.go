package page

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Reasons a page is rejected. ParsePage and DecodePage wrap them with detail
// (fmt.Errorf("%w: …")), so callers test with errors.Is and print err for
// the specifics.
var (
	// ErrEmpty: the file is empty or holds only whitespace.
	ErrEmpty = errors.New("empty page")
	// ErrBinary: NUL bytes, mostly control characters, or bytes that are
	// neither UTF-8 nor GB18030.
	ErrBinary = errors.New("binary data, not a text page")
	// ErrTooLarge: over MaxPageBytes; the error is a *TooLargeError.
	ErrTooLarge = errors.New("page too large")
	// ErrNoTitle: the first non-empty line is page furniture (相关推荐,
	// 提示:, a date line …), so the file is a fragment, not an article.
	ErrNoTitle = errors.New("no title line")
	// ErrNoBody: a title but no article paragraphs (a title-only page).
	ErrNoBody = errors.New("no body text")
)

// Markers of the page format. They are compared after trimming, so
// indentation and trailing spaces do not matter.
const (
	markPreamble = "本信息整理自互联网公开渠道"
	markRelated  = "相关推荐"
	markSearch   = "大家都在搜"
	markFooter   = "首页顶部" // the page shows "首页 顶部"; compared without spaces
	markCategory = "健康新闻"
)

// pageLineKind is what a trimmed line is to the page structure.
type pageLineKind uint8

const (
	lineText     pageLineKind = iota // article text (or a title, item title, snippet)
	linePreamble                     // 本信息整理自互联网公开渠道… boilerplate
	lineTip                          // starts with 提示: — the disclaimer, or body text that looks like it
	lineSearch                       // 大家都在搜
	lineFooter                       // 首页 顶部
	lineRelated                      // 相关推荐
	lineDate                         // 健康新闻 YYYY-MM-DD (or a bare date)
)

// pageLine is one non-blank line. Blank lines are not stored, only noted on
// the line after them: a page of 8 MB of newlines would otherwise cost
// hundreds of megabytes of line records.
type pageLine struct {
	text       string // trimmed
	num        int32  // 1-based line number in the decoded text
	kind       pageLineKind
	afterBlank bool // a blank line (or the start of the text) comes right before
}

// ParsePage parses one article page (see the package's page format: title,
// optional preamble, body, 提示: disclaimer, 相关推荐 items, footer).
//
// It returns a nil Page with every error except ErrNoBody: a page with a
// title but no paragraphs comes back with its title and any related items,
// so a builder that wants them can still use the items while reporting the
// page as rejected. Recoverable problems (bad dates, truncated items,
// decoding repairs) are listed in Page.Warnings instead of failing.
func ParsePage(data []byte) (*Page, error) {
	text, warnings, err := DecodePage(data)
	if err != nil {
		return nil, err
	}
	lines := splitPageLines(text)
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: %d bytes of whitespace", ErrEmpty, len(data))
	}
	if lines[0].kind != lineText {
		return nil, fmt.Errorf("%w: line %d is %q, page furniture rather than a title",
			ErrNoTitle, lines[0].num, shorten(lines[0].text, 40))
	}

	p := &Page{
		Title:    cleanSpaces(lines[0].text),
		Body:     []string{},
		Related:  []RelatedItem{},
		Warnings: warnings,
	}

	rest := lines[1:]
	bodyEnd, tip, header := findSections(rest)
	for _, l := range rest[:bodyEnd] {
		switch l.kind {
		case lineText, lineTip, lineDate:
			// A 提示: line that is not the disclaimer, or a date-looking
			// line before the related list, is article text.
			if para := cleanParagraph(l.text); para != "" {
				p.Body = append(p.Body, para)
			}
		}
	}

	// Between the disclaimer and the related list (or the end) only
	// boilerplate is expected; anything else is reported, not guessed at.
	relStart := len(rest)
	if header >= 0 {
		relStart = header + 1
	}
	if tip >= 0 {
		strayEnd := header
		if header < 0 {
			strayEnd = len(rest)
			if hasDateLine(rest[tip+1:]) {
				// The 相关推荐 line was lost but the items are there.
				relStart = tip + 1
				strayEnd = relStart
				p.Warnings = append(p.Warnings, fmt.Sprintf(
					"line %d: no %s line after the 提示 line; parsed the items that follow it", rest[tip].num, markRelated))
			}
		}
		if n := countText(rest[tip+1 : strayEnd]); n > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf(
				"line %d: ignored %d line(s) after the 提示 line", rest[tip].num, n))
		}
	}
	p.Related, p.Warnings = parseRelated(rest[relStart:], p.Related, p.Warnings)

	if len(p.Body) == 0 {
		if len(p.Related) == 0 {
			return nil, fmt.Errorf("%w: title-only page %q", ErrNoBody, shorten(p.Title, 40))
		}
		return p, fmt.Errorf("%w: page %q has %d related items but no paragraphs",
			ErrNoBody, shorten(p.Title, 40), len(p.Related))
	}
	return p, nil
}

// findSections locates, in the lines after the title, the end of the body,
// the disclaimer and the 相关推荐 header (-1 when absent).
func findSections(rest []pageLine) (bodyEnd, tip, header int) {
	bodyEnd, tip, header = len(rest), -1, -1
	for i, l := range rest {
		if l.kind == lineRelated {
			bodyEnd, header = i, i
			return
		}
		if l.kind == lineTip && isDisclaimer(rest, i) {
			bodyEnd, tip = i, i
			break
		}
	}
	if tip < 0 {
		return
	}
	for i := tip + 1; i < len(rest); i++ {
		if rest[i].kind == lineRelated {
			header = i
			break
		}
	}
	return
}

// isDisclaimer tells the site's 提示: disclaimer from an article paragraph
// that happens to start with 提示: (medical answers do: "提示:肝功能异常").
// The disclaimer either says what the site's disclaimers say, or sits where
// the disclaimer sits: right before 相关推荐 or at the end of the page.
func isDisclaimer(rest []pageLine, i int) bool {
	t := rest[i].text
	if strings.Contains(t, "代替面诊") || strings.Contains(t, "替代专业医疗") || strings.Contains(t, "仅供参考") {
		return true
	}
	for _, l := range rest[i+1:] {
		switch l.kind {
		case lineSearch, lineFooter:
			continue
		case lineRelated:
			return true
		default:
			return false
		}
	}
	return true
}

// parseRelated reads the 相关推荐 items. The date line is the anchor: every
// run of text lines up to a date line is one item, its first line the title
// and the rest the snippet. Anchoring on dates rather than on blank lines
// keeps extra or missing blank lines and multi-line snippets from shifting
// titles into snippets.
func parseRelated(lines []pageLine, items []RelatedItem, warnings []string) ([]RelatedItem, []string) {
	var block []pageLine
	paras := 0
	flush := func(date *pageLine) {
		defer func() { block, paras = block[:0], 0 }()
		if len(block) == 0 {
			if date != nil {
				warnings = append(warnings, fmt.Sprintf("line %d: date line without a related item, ignored", date.num))
			}
			return
		}
		it := RelatedItem{Title: cleanSpaces(block[0].text)}
		switch len(block) {
		case 1:
		case 2:
			it.Snippet = cleanSpaces(block[1].text)
		default:
			texts := make([]string, len(block)-1)
			for i, l := range block[1:] {
				texts[i] = l.text
			}
			it.Snippet = cleanSpaces(strings.Join(texts, " "))
		}
		where := func() string {
			return fmt.Sprintf("line %d: related item %q", block[0].num, shorten(it.Title, 30))
		}
		if date == nil {
			warnings = append(warnings, where()+" has no date line (truncated page?)")
		} else if value := dateLineValue(date.text); value == "" {
			warnings = append(warnings, where()+": date line has no date")
		} else if d, ok := normalizeDate(value); ok {
			it.Date = d
		} else {
			warnings = append(warnings, fmt.Sprintf("%s: bad date %q", where(), value))
		}
		if it.Snippet == "" && date != nil {
			warnings = append(warnings, where()+" has no snippet")
		}
		if paras >= 4 {
			// title, snippet, title, snippet: probably two items whose
			// date line between them was lost.
			warnings = append(warnings, fmt.Sprintf("%s spans %d paragraphs (missing date line?)", where(), paras))
		}
		items = append(items, it)
	}
	for i := range lines {
		l := &lines[i]
		switch l.kind {
		case lineSearch, lineFooter, lineRelated:
			// Boilerplate wherever it appears; a repeated header is too.
		case lineDate:
			flush(l)
		default:
			if l.afterBlank || len(block) == 0 {
				paras++
			}
			block = append(block, *l)
		}
	}
	flush(nil)
	return items, warnings
}

func hasDateLine(lines []pageLine) bool {
	for _, l := range lines {
		if l.kind == lineDate {
			return true
		}
	}
	return false
}

// countText counts the lines that are neither blank nor known boilerplate.
func countText(lines []pageLine) int {
	n := 0
	for _, l := range lines {
		switch l.kind {
		case lineSearch, lineFooter, linePreamble:
		default:
			n++
		}
	}
	return n
}

func splitPageLines(text string) []pageLine {
	// No capacity from the newline count: for a file of blank lines that
	// would reserve exactly the memory the skipping avoids.
	lines := make([]pageLine, 0, 64)
	num := int32(0)
	afterBlank := true
	for s := range strings.Lines(text) {
		num++
		t := strings.TrimFunc(s, isTrimmable)
		if t == "" {
			afterBlank = true
			continue
		}
		lines = append(lines, pageLine{text: t, num: num, kind: classifyLine(t), afterBlank: afterBlank})
		afterBlank = false
	}
	return lines
}

// isTrimmable reports white space (unicode.IsSpace) and the zero-width
// characters, which the parser treats alike.
func isTrimmable(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || ('\t' <= r && r <= '\r')
	}
	// Most runes of a Chinese page are above U+3000; test that first.
	if r > 0x3000 {
		return r == '\uFEFF'
	}
	return unicode.IsSpace(r) || isZeroWidth(r)
}

// indexTrimmable is strings.IndexFunc(s, isTrimmable) for valid UTF-8,
// scanning bytes: every trimmable rune is ASCII or starts with one of the
// lead bytes C2, E1, E2, E3 or EF, and its continuation bytes tell it from
// the other characters with those leads (CJK punctuation, full-width
// forms), which Chinese text is full of, without decoding them.
func indexTrimmable(s string) int {
	for i := 0; i < len(s); i++ {
		if !trimmableLead[s[i]] {
			continue
		}
		if trimmableAt(s, i) {
			return i
		}
	}
	return -1
}

// trimmableLead marks the bytes that may start a trimmable rune.
var trimmableLead = func() (t [256]bool) {
	for _, c := range []byte{' ', '\t', '\n', '\v', '\f', '\r', 0xC2, 0xE1, 0xE2, 0xE3, 0xEF} {
		t[c] = true
	}
	return t
}()

// trimmableAt reports whether the rune at s[i], whose first byte is marked
// in trimmableLead, is trimmable: the white space of unicode.IsSpace
// (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000) or a zero-width character (U+200B, U+2060, U+FEFF).
// TestIndexTrimmable compares it with isTrimmable for every rune.
func trimmableAt(s string, i int) bool {
	at := func(j int) byte {
		if i+j < len(s) {
			return s[i+j]
		}
		return 0
	}
	switch s[i] {
	case 0xC2: // U+0080-U+00BF
		return at(1) == 0x85 || at(1) == 0xA0
	case 0xE1: // U+1000-U+1FFF
		return at(1) == 0x9A && at(2) == 0x80
	case 0xE2: // U+2000-U+2FFF
		switch at(1) {
		case 0x80:
			c := at(2)
			return (c >= 0x80 && c <= 0x8B) || c == 0xA8 || c == 0xA9 || c == 0xAF
		case 0x81:
			return at(2) == 0x9F || at(2) == 0xA0
		}
		return false
	case 0xE3: // U+3000-U+3FFF
		return at(1) == 0x80 && at(2) == 0x80
	case 0xEF: // U+F000-U+FFFF
		return at(1) == 0xBB && at(2) == 0xBF
	}
	return true // ASCII white space
}

func classifyLine(t string) pageLineKind {
	switch {
	case strings.HasPrefix(t, markPreamble):
		return linePreamble
	case isTipLine(t):
		return lineTip
	}
	// Short lines only: the markers are whole lines, and this keeps the
	// space-stripping off the long paragraphs.
	if len(t) <= 64 {
		switch k := strings.TrimRight(stripSpaces(t), ":："); k {
		case markSearch:
			return lineSearch
		case markFooter:
			return lineFooter
		case markRelated:
			return lineRelated
		}
		if isDateLine(t) {
			return lineDate
		}
	}
	return lineText
}

// isTipLine reports a line starting with 提示: — half- or full-width colon,
// possibly after a stray highlighting space.
func isTipLine(t string) bool {
	rest, ok := strings.CutPrefix(t, "提示")
	if !ok {
		return false
	}
	rest = strings.TrimLeftFunc(rest, isTrimmable)
	return strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "：")
}

func stripSpaces(s string) string {
	if indexTrimmable(s) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isTrimmable(r) {
			return -1
		}
		return r
	}, s)
}

// bareDateRe matches a date standing alone on a line, as some copies of the
// page drop the 健康新闻 category in front of it.
var bareDateRe = regexp.MustCompile(`^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$`)

// isDateLine reports a related item's date line: the category followed by
// something that starts like a number (so a title such as 健康新闻联播 is
// not one), the category alone, or a bare date.
func isDateLine(t string) bool {
	if rest, ok := strings.CutPrefix(t, markCategory); ok {
		rest = strings.TrimLeftFunc(rest, isTrimmable)
		if rest == "" {
			return true
		}
		return startsWithDigit(rest)
	}
	return startsWithDigit(t) && bareDateRe.MatchString(narrowDigits(t))
}

func startsWithDigit(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return (r >= '0' && r <= '9') || (r >= '０' && r <= '９')
}

func dateLineValue(t string) string {
	rest, _ := strings.CutPrefix(t, markCategory)
	return strings.TrimFunc(rest, isTrimmable)
}

// relatedDateRe accepts the site's YYYY-MM-DD and the other spellings a
// copied page shows (2025/4/4, 2025.04.04, 2025年4月4日), optionally with a
// time, which is dropped.
var relatedDateRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$`)

// normalizeDate returns s as YYYY-MM-DD when it is a real calendar date.
func normalizeDate(s string) (string, bool) {
	var y, mo, d int
	iso := isISODateShape(s)
	if iso {
		// The site's own spelling, on every item: skip the regexp.
		y, mo, d = atoiDigits(s[0:4]), atoiDigits(s[5:7]), atoiDigits(s[8:10])
	} else {
		m := relatedDateRe.FindStringSubmatch(narrowDigits(s))
		if m == nil {
			return "", false
		}
		y, mo, d = atoiDigits(m[1]), atoiDigits(m[2]), atoiDigits(m[3])
	}
	// time.Date normalises 2025-13-45 into 2026-02-14; a round trip that
	// changes the fields means the date does not exist.
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || y < 1900 || y > 2100 {
		return "", false
	}
	if iso {
		return s, true // already what Format would write
	}
	return t.Format(time.DateOnly), true
}

// isISODateShape reports whether s looks like DDDD-DD-DD.
func isISODateShape(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// atoiDigits converts a short string of ASCII digits (already checked).
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// narrowDigits maps full-width digits and date separators to ASCII so a page
// saved with full-width forms still yields its dates.
func narrowDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '！' && r <= '～' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '－':
			return '-'
		case r == '／':
			return '/'
		case r == '．':
			return '.'
		case r == '：':
			return ':'
		}
		return r
	}, s)
}

// listMarkerRe matches a list marker and the space after it at the start of
// a paragraph. CleanSpaces would glue "1. 异地就医备案" into "1.异地就医备案"
// (a space next to a Han character goes); the marker's space is layout the
// page shows, so it is kept.
var listMarkerRe = regexp.MustCompile(`^(?:\d{1,3}[.、．)）]|[(（]\d{1,3}[)）]|[•·●○◦▪■□◆◇►▶※*+\-]|[①-⑳])\s+`)

// cleanParagraph is CleanSpaces for a body paragraph, keeping the space
// after a leading list marker.
func cleanParagraph(s string) string {
	if m := listMarkerRe.FindString(s); m != "" {
		if rest := cleanSpaces(s[len(m):]); rest != "" {
			return strings.TrimRightFunc(m, isTrimmable) + " " + rest
		}
	}
	return cleanSpaces(s)
}

// CleanSpaces removes the stray spaces the site's search highlighting leaves
// in titles and snippets ("医保 卡", "跨 省", "备案 ,"). Whitespace runs
// (including the ideographic space U+3000 and NBSP) collapse to one space;
// that space is then dropped when the character on either side is CJK (Han,
// kana, CJK punctuation, full-width forms), because Chinese text does not
// separate words with spaces. Spaces between Latin words and numbers stay
// ("Giardia lamblia"), except before an ASCII closing mark or after an
// opening bracket ("lamblia )" → "lamblia)"), where no typography wants one.
// Zero-width spaces are removed; leading and trailing space is trimmed.
func CleanSpaces(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return cleanSpaces(s)
}

// cleanSpaces is CleanSpaces for valid UTF-8, such as all text of a
// decoded page.
func cleanSpaces(s string) string {
	next := indexTrimmable(s)
	if next < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prev := rune(-1)
	pending := false
	for i := 0; i < len(s); {
		// Copy the run of ordinary characters up to the next space in one
		// go; only the characters around a space matter.
		if next < 0 {
			next = len(s)
		}
		if next > i {
			first, _ := utf8.DecodeRuneInString(s[i:])
			if pending && prev >= 0 && keepSpaceBetween(prev, first) {
				b.WriteByte(' ')
			}
			pending = false
			b.WriteString(s[i:next])
			prev, _ = utf8.DecodeLastRuneInString(s[i:next])
			i = next
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if !isZeroWidth(r) {
			pending = true
		}
		if next = indexTrimmable(s[i:]); next >= 0 {
			next += i
		}
	}
	return b.String()
}

// isZeroWidth reports invisible characters that only get in the way of
// matching: zero-width space, word joiner and a stray BOM. ZWJ/ZWNJ stay,
// emoji sequences and some scripts need them.
func isZeroWidth(r rune) bool { return r == '\u200B' || r == '\u2060' || r == '\uFEFF' }

func keepSpaceBetween(a, b rune) bool {
	if isCJKSpacing(a) || isCJKSpacing(b) {
		return false
	}
	switch b {
	case ')', ']', '}', ',', ';', ':', '!', '?':
		return false
	}
	switch a {
	case '(', '[', '{':
		return false
	}
	return true
}

// cjkSpacing lists the characters that take no space next to them: CJK
// ideographs and radicals, CJK punctuation, kana, bopomofo, enclosed CJK and
// the full-width forms. Hangul is left out on purpose: Korean separates
// words with spaces.
var cjkSpacing = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x2E80, Hi: 0x2FDF, Stride: 1}, // CJK radicals, Kangxi radicals
		{Lo: 0x2FF0, Hi: 0x303F, Stride: 1}, // description characters, CJK symbols and punctuation
		{Lo: 0x3040, Hi: 0x30FF, Stride: 1}, // hiragana, katakana
		{Lo: 0x3100, Hi: 0x312F, Stride: 1}, // bopomofo
		{Lo: 0x3190, Hi: 0x31FF, Stride: 1}, // kanbun, bopomofo ext, strokes, katakana ext
		{Lo: 0x3200, Hi: 0x4DBF, Stride: 1}, // enclosed CJK, compatibility, ext A
		{Lo: 0x4E00, Hi: 0x9FFF, Stride: 1}, // unified ideographs
		{Lo: 0xF900, Hi: 0xFAFF, Stride: 1}, // compatibility ideographs
		{Lo: 0xFE10, Hi: 0xFE1F, Stride: 1}, // vertical forms
		{Lo: 0xFE30, Hi: 0xFE4F, Stride: 1}, // compatibility forms
		{Lo: 0xFF01, Hi: 0xFF60, Stride: 1}, // full-width ASCII forms
		{Lo: 0xFFE0, Hi: 0xFFE6, Stride: 1}, // full-width signs
	},
	R32: []unicode.Range32{
		{Lo: 0x20000, Hi: 0x3FFFF, Stride: 1}, // ideographs ext B and beyond
	},
}

func isCJKSpacing(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.Is(cjkSpacing, r)
}

// shorten cuts s to at most n runes for error and warning messages.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ArticleDate is the date an article is filed under: its own Date when the
// page states one, otherwise the newest valid date among its related items
// (the site lists items published around the article), otherwise "".
func ArticleDate(p *Page) string {
	if p == nil {
		return ""
	}
	if p.Date != "" {
		return p.Date
	}
	newest := ""
	for _, it := range p.Related {
		if _, err := time.Parse(time.DateOnly, it.Date); err == nil && it.Date > newest {
			newest = it.Date
		}
	}
	return newest
}
