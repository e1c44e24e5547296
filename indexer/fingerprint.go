package indexer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// The analysis fingerprint: which dictionaries and which analyzer code a
// generation's words were cut with. A query cut with other dictionaries
// than the index (a server started with another --dict, or none) misses
// words without any error, so each generation records its fingerprint and
// carries its user dictionaries, and the search engine refuses to open a
// generation whose fingerprint differs from the process's analysis.

// AnalyzerVersion changes whenever a change of the tokenizer, the folding
// or the bigram analyzer changes the token stream of some text: an index
// built by another version has other terms.
const AnalyzerVersion = 1

// Analysis identifies the text analysis an index was built with.
type Analysis struct {
	Analyzer int `json:"analyzer"`
	// Base is gse's embedded dictionary, named by gse's module version.
	Base string `json:"base"`
	// Domain hashes the embedded domain dictionary and place names.
	Domain string `json:"domain"`
	// User are the user dictionaries, in the order they were loaded.
	User []DictFile `json:"user,omitempty"`
}

// DictFile is a user dictionary: its file name and a hash of its content.
type DictFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// userDictFiles are the fingerprints of the user dictionaries the shared
// segmenter loaded, and userDictData their bytes as it read them: a build
// carries those bytes, not the files, which may have changed or, when they
// were an old generation's, been removed since.
var (
	userDictFiles []DictFile
	userDictData  [][]byte
)

func shortHash(data ...[]byte) string {
	h := sha256.New()
	for _, d := range data {
		h.Write(d)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// gseVersion is the gse module version this binary was built with, which
// names its embedded dictionary.
func gseVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/go-ego/gse" {
				if m.Replace != nil {
					return m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return "unknown"
}

// CurrentAnalysis returns the fingerprint of this process's analysis,
// loading the shared segmenter if it is not loaded yet.
func CurrentAnalysis() (Analysis, error) {
	if _, err := Segmenter(); err != nil {
		return Analysis{}, err
	}
	segMu.Lock()
	defer segMu.Unlock()
	return Analysis{
		Analyzer: AnalyzerVersion,
		Base:     "gse zh_s " + gseVersion(),
		Domain:   shortHash(domainDict, []byte(strings.Join(placeWords(), "\n"))),
		User:     slices.Clone(userDictFiles),
	}, nil
}

// Diff says how b differs from a, the index's analysis, or "" when a query
// analysed with b finds what the index holds.
func (a Analysis) Diff(b Analysis) string {
	var diffs []string
	if a.Analyzer != b.Analyzer {
		diffs = append(diffs, fmt.Sprintf("analyzer version %d, not %d", a.Analyzer, b.Analyzer))
	}
	if a.Base != b.Base {
		diffs = append(diffs, fmt.Sprintf("base dictionary %q, not %q", a.Base, b.Base))
	}
	if a.Domain != b.Domain {
		diffs = append(diffs, fmt.Sprintf("domain dictionary %s, not %s", a.Domain, b.Domain))
	}
	if !slices.EqualFunc(a.User, b.User, func(x, y DictFile) bool { return x.SHA256 == y.SHA256 }) {
		diffs = append(diffs, fmt.Sprintf("user dictionaries %s, not %s", dictNames(a.User), dictNames(b.User)))
	}
	return strings.Join(diffs, "; ")
}

func dictNames(files []DictFile) string {
	if len(files) == 0 {
		return "(none)"
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name+" "+f.SHA256)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// carriedDictDir is where a generation keeps copies of its user
// dictionaries, so that a server can segment queries exactly as the build
// did without being told which files to load.
const carriedDictDir = "dict"

// carryUserDicts copies the user dictionaries the segmenter loaded into
// the generation at dir, numbered in load order.
func carryUserDicts(dir string) error {
	if _, err := Segmenter(); err != nil {
		return err
	}
	segMu.Lock()
	files, data := slices.Clone(userDictFiles), slices.Clone(userDictData)
	segMu.Unlock()
	if len(files) == 0 {
		return nil
	}
	if err := os.Mkdir(filepath.Join(dir, carriedDictDir), 0o755); err != nil {
		return err
	}
	for i, f := range files {
		// The number keeps the load order; a carried name loses the
		// number it had in the generation it came from.
		base := f.Name
		if len(base) > 3 && base[2] == '-' && base[0] >= '0' && base[0] <= '9' && base[1] >= '0' && base[1] <= '9' {
			base = base[3:]
		}
		name := fmt.Sprintf("%02d-%s", i, base)
		if err := os.WriteFile(filepath.Join(dir, carriedDictDir, name), data[i], 0o644); err != nil {
			return fmt.Errorf("carry user dictionary: %w", err)
		}
	}
	return nil
}

// CarriedUserDicts returns the user dictionaries that the generation at
// path was built with, in load order: pass them to AddUserDict to segment
// queries as that build did.
func CarriedUserDicts(path string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(path, carriedDictDir))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries { // ReadDir sorts by name: load order
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(path, carriedDictDir, e.Name()))
		}
	}
	return out, nil
}
