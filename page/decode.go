package page

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// MaxPageBytes caps the size of one page file. Real pages are 10-20 KB; a
// file this big is a dump or a mistake, and parsing it would only bloat the
// index with one giant article.
const MaxPageBytes = 8 << 20

// TooLargeError reports a page over MaxPageBytes. It matches ErrTooLarge
// under errors.Is, so a build summary can group it with the other reasons
// while still showing the size.
type TooLargeError struct {
	Size  int64 // bytes in the file (or in the data handed to DecodePage)
	Limit int64 // the cap that was exceeded
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%v: %d bytes, over the %d-byte limit", ErrTooLarge, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true for a *TooLargeError.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// CheckPageSize returns a *TooLargeError when a page of size bytes would be
// rejected. Builders call it with the file's stat size before reading, so an
// oversized file is never loaded into memory.
func CheckPageSize(size int64) error {
	if size > MaxPageBytes {
		return &TooLargeError{Size: size, Limit: MaxPageBytes}
	}
	return nil
}

// Thresholds of the binary check. A text page has no NUL bytes and almost no
// control characters; a few stray ones (a pasted \x1b, a truncated
// multi-byte character) are repaired with a warning, more than this share of
// the runes means the file is not text at all.
const (
	binaryBadPercent = 5
	binaryMinBad     = 2
	// utf8MinValidShare is how much of the non-ASCII bytes must form valid
	// UTF-8 sequences for invalid UTF-8 to count as "UTF-8 with damage"
	// rather than another encoding. GBK text forms valid two-byte UTF-8
	// pairs by chance (中 = D6 D0 = U+05D0) but only for roughly a tenth of
	// its bytes, so 80% separates the two cleanly.
	utf8MinValidShare = 80
)

// tooManyBad reports whether bad characters out of total make the data
// binary. A couple are tolerated whatever the share, so a short page with
// one stray escape character is repaired rather than rejected.
func tooManyBad(bad, total int) bool {
	return bad > binaryMinBad && bad*100 > total*binaryBadPercent
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// DecodePage turns the raw bytes of a page into clean UTF-8 text: no BOM,
// LF line endings only, and no control characters other than '\n' and '\t'.
// UTF-8 is expected; invalid UTF-8 is decoded as GB18030 (a superset of GBK
// and GB2312, the encodings Chinese sites and Windows tools save in), and a
// UTF-16 file with a BOM is decoded too. Each such repair adds a warning.
// Data that is not text fails with an error matching ErrBinary; data over
// MaxPageBytes fails with a *TooLargeError (matching ErrTooLarge).
func DecodePage(data []byte) (text string, warnings []string, err error) {
	if err := CheckPageSize(int64(len(data))); err != nil {
		return "", nil, err
	}
	data = bytes.TrimPrefix(data, utf8BOM)

	switch {
	case bytes.HasPrefix(data, utf16LEBOM), bytes.HasPrefix(data, utf16BEBOM):
		text, err = decodeUTF16(data)
		if err != nil {
			return "", nil, err
		}
		warnings = append(warnings, "decoded from UTF-16")
	default:
		// NUL never occurs in UTF-8 or GB18030 text, so one is enough to
		// call the file binary, before any decoding work.
		if i := bytes.IndexByte(data, 0); i >= 0 {
			return "", nil, fmt.Errorf("%w: NUL byte at offset %d", ErrBinary, i)
		}
		var w string
		text, w, err = decodeBytes(data)
		if err != nil {
			return "", nil, err
		}
		if w != "" {
			warnings = append(warnings, w)
		}
	}

	text, removed, err := normalizeText(text)
	if err != nil {
		return "", nil, err
	}
	if removed > 0 {
		warnings = append(warnings, fmt.Sprintf("removed %d control character(s)", removed))
	}
	return text, warnings, nil
}

func decodeUTF16(data []byte) (string, error) {
	// ExpectBOM picks the byte order from the BOM and drops it.
	dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
	out, err := dec.Bytes(data)
	if err != nil {
		return "", fmt.Errorf("%w: bad UTF-16: %v", ErrBinary, err)
	}
	// Two bytes FF FE can start a binary file too; its "UTF-16" is full of
	// unpaired surrogates, which the decoder turns into U+FFFD.
	text := string(out)
	bad := strings.Count(text, "\uFFFD")
	if runes := utf8.RuneCountInString(text); tooManyBad(bad, runes) {
		return "", fmt.Errorf("%w: not UTF-16 (%d of %d characters undecodable)", ErrBinary, bad, runes)
	}
	return text, nil
}

// decodeBytes decodes UTF-8 or, failing that, GB18030. It returns a warning
// describing any repair.
func decodeBytes(data []byte) (text, warning string, err error) {
	if utf8.Valid(data) {
		return string(data), "", nil
	}
	validMB, invalid := utf8Stats(data)
	if validMB*100 >= (validMB+invalid)*utf8MinValidShare {
		// Mostly good UTF-8 with a few broken bytes, typically a file cut
		// in the middle of a character; decoding it all as GB18030 would
		// turn every Chinese character into mojibake.
		return strings.ToValidUTF8(string(data), "\uFFFD"),
			fmt.Sprintf("replaced %d invalid UTF-8 byte(s)", invalid), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", fmt.Errorf("%w: neither UTF-8 nor GB18030: %v", ErrBinary, err)
	}
	text = string(out)
	// The decoder maps undecodable bytes to U+FFFD instead of failing; a
	// file with many of them was never GB18030 text.
	bad := strings.Count(text, "\uFFFD")
	runes := utf8.RuneCountInString(text)
	if tooManyBad(bad, runes) {
		return "", "", fmt.Errorf("%w: neither UTF-8 nor GB18030 (%d of %d characters undecodable)", ErrBinary, bad, runes)
	}
	warning = "decoded from GB18030"
	if bad > 0 {
		warning += fmt.Sprintf(" (%d undecodable byte sequence(s) replaced)", bad)
	}
	return text, warning, nil
}

// utf8Stats counts the bytes that belong to valid multi-byte UTF-8 sequences
// and the bytes that are not valid UTF-8.
func utf8Stats(data []byte) (validMB, invalid int) {
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			invalid++
			i++
			continue
		}
		validMB += n
		i += n
	}
	return validMB, invalid
}

// normalizeText turns CRLF, lone CR and the Unicode line separators into
// '\n', drops BOMs (a copy of a file concatenated onto another leaves one
// mid-text) and removes control characters, returning how many it removed.
// Too many control characters, or a NUL that only appeared after decoding
// (UTF-16), mean the data is binary.
func normalizeText(s string) (string, int, error) {
	start := firstToNormalize(s)
	if start == len(s) {
		return s, 0, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:start])
	removed := 0
	for i := start; i < len(s); {
		// Copy the run of ordinary text up to the next special character
		// in one go; page text is almost all ordinary.
		if j := i + firstToNormalize(s[i:]); j > i {
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			b.WriteByte('\n')
		case r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte('\n')
		case r == '\v' || r == '\f':
			// Whitespace to the parser; as tabs CleanSpaces collapses
			// them like any other space.
			b.WriteByte('\t')
		case r == 0:
			return "", 0, fmt.Errorf("%w: NUL character", ErrBinary)
		case r == '\uFEFF':
		default: // C0 and C1 controls, DEL
			removed++
		}
	}
	if removed > 0 {
		if runes := utf8.RuneCountInString(s); tooManyBad(removed, runes) {
			return "", 0, fmt.Errorf("%w: %d of %d characters are control characters", ErrBinary, removed, runes)
		}
	}
	return b.String(), removed, nil
}

// firstToNormalize returns the byte offset of the first character
// normalizeText changes, or len(s). It works on bytes: every such character
// starts with a byte below 0x20, 0x7F, or the lead bytes C2 (U+0080-U+009F),
// E2 80 (U+2028, U+2029) or EF BB (U+FEFF). Every page passes through here
// whole, so the scan skips the other bytes with one table lookup each.
func firstToNormalize(s string) int {
	for i := 0; i < len(s); i++ {
		if !normalizeLead[s[i]] {
			continue
		}
		switch c := s[i]; {
		case c < 0x20, c == 0x7F:
			return i
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9F {
				return i
			}
		case c == 0xE2:
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				return i
			}
		case c == 0xEF:
			if i+2 < len(s) && s[i+1] == 0xBB && s[i+2] == 0xBF {
				return i
			}
		}
	}
	return len(s)
}

// normalizeLead marks the bytes that may start a character normalizeText
// changes (see firstToNormalize).
var normalizeLead = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\n' && c != '\t'
	}
	t[0x7F], t[0xC2], t[0xE2], t[0xEF] = true, true, true, true
	return t
}()
