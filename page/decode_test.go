package page

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func encodeGB18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodePage(t *testing.T) {
	const chinese = "医保余额能在外地使用吗\n\n异地就医需要先备案。"
	utf16le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(chinese))
	if err != nil {
		t.Fatal(err)
	}
	utf16be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(chinese))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		in       []byte
		want     string
		warnings []string
	}{
		{"plain", []byte(chinese), chinese, nil},
		{"empty", nil, "", nil},
		{"bom", append([]byte{0xEF, 0xBB, 0xBF}, chinese...), chinese, nil},
		{"crlf", []byte("a\r\nb\r\n"), "a\nb\n", nil},
		{"lone cr", []byte("a\rb\r\rc"), "a\nb\n\nc", nil},
		{"unicode line separators", []byte("a\u2028b\u2029c"), "a\nb\nc", nil},
		{"bom inside", []byte("a\uFEFFb"), "ab", nil},
		{"tabs kept, vt and ff as tabs", []byte("a\tb\vc\fd"), "a\tb\tc\td", nil},
		{"gb18030", encodeGB18030(t, chinese), chinese, []string{"decoded from GB18030"}},
		{"gb18030 with emoji", encodeGB18030(t, "医保🌟报销"), "医保🌟报销", []string{"decoded from GB18030"}},
		{"gb18030 bom", encodeGB18030(t, "\uFEFF"+chinese), chinese, []string{"decoded from GB18030"}},
		{"gb18030 crlf", encodeGB18030(t, "标题\r\n正文"), "标题\n正文", []string{"decoded from GB18030"}},
		{"utf-16le bom", utf16le, chinese, []string{"decoded from UTF-16"}},
		{"utf-16be bom", utf16be, chinese, []string{"decoded from UTF-16"}},
		{"utf-8 cut mid-character", []byte(chinese)[:len(chinese)-1], strings.TrimSuffix(chinese, "。") + "\uFFFD", []string{"replaced 2 invalid UTF-8 byte(s)"}},
		{"stray control character", []byte("医保\x1b卡能在外地使用吗,需要备案"), "医保卡能在外地使用吗,需要备案", []string{"removed 1 control character(s)"}},
		{"c1 control", []byte("医保\u0085卡"), "医保\n卡", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings, err := DecodePage(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("text %q, want %q", got, tc.want)
			}
			if !slices.Equal(warnings, tc.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tc.warnings)
			}
		})
	}
}

func TestDecodePageBinary(t *testing.T) {
	random := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range random {
		// xorshift: reproducible noise without NUL bytes, to exercise the
		// control-character and undecodable-byte checks rather than the
		// NUL shortcut.
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		random[i] = byte(x) | 1
	}
	tests := []struct {
		name, detail string
		in           []byte
	}{
		{"png", "NUL byte at offset 8", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")},
		{"nul in text", "NUL byte at offset 6", []byte("医保\x00卡")},
		{"random bytes", "", random},
		{"control characters", "control characters", bytes.Repeat([]byte("ab\x01\x02"), 100)},
		{"utf-16 with nul", "NUL character", []byte{0xFF, 0xFE, 'a', 0, 0, 0}},
		{"undecodable", "undecodable", bytes.Repeat([]byte{0xFF, 0x80, 'x'}, 50)},
		{"utf-16 lone surrogates", "not UTF-16", append([]byte{0xFF, 0xFE}, bytes.Repeat([]byte{0x00, 0xD8}, 20)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodePage(tc.in)
			if !errors.Is(err, ErrBinary) {
				t.Fatalf("err = %v, want ErrBinary", err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q lacks %q", err, tc.detail)
			}
			if _, err := ParsePage(tc.in); !errors.Is(err, ErrBinary) {
				t.Errorf("ParsePage err = %v, want ErrBinary", err)
			}
		})
	}
}

func TestDecodePageTooLarge(t *testing.T) {
	if err := CheckPageSize(MaxPageBytes); err != nil {
		t.Errorf("CheckPageSize(MaxPageBytes) = %v, want nil", err)
	}
	err := CheckPageSize(MaxPageBytes + 1)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != MaxPageBytes+1 || tl.Limit != MaxPageBytes {
		t.Fatalf("CheckPageSize(MaxPageBytes+1) = %#v", err)
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "8388609 bytes") {
		t.Errorf("error %q does not match ErrTooLarge or name the size", err)
	}

	big := bytes.Repeat([]byte("医"), MaxPageBytes/3+1)
	if _, _, err := DecodePage(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodePage(%d bytes) err = %v, want ErrTooLarge", len(big), err)
	}
	if _, err := ParsePage(big); !errors.As(err, &tl) || tl.Size != int64(len(big)) {
		t.Errorf("ParsePage(%d bytes) err = %v, want *TooLargeError", len(big), err)
	}
}
