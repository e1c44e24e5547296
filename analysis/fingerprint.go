package analysis

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
// carries its compiled dictionary (worddict.go): a server segments queries
// with it, and refuses a --dict that differs or a generation whose
// fingerprint differs from the dictionary it already uses.

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

// userDictFiles are the fingerprints of the user dictionaries the last
// gse load read, taken from the bytes it read.
var userDictFiles []DictFile

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

// analysisOf is the fingerprint of gse's embedded dictionary, the domain
// dictionary and places, and the given user dictionaries: computed from
// the build information and the files, without loading any of them.
func analysisOf(user []DictFile) (Analysis, error) {
	return Analysis{
		Analyzer: AnalyzerVersion,
		Base:     "gse zh_s " + gseVersion(),
		Domain:   shortHash(domainDict, []byte(strings.Join(placeWords(), "\n"))),
		User:     slices.Clone(user),
	}, nil
}

// ConfiguredAnalysis is the fingerprint of the analysis this binary would
// compile with the user dictionary files paths, in order.
func ConfiguredAnalysis(paths []string) (Analysis, error) {
	var files []DictFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return Analysis{}, fmt.Errorf("user dictionary: %w", err)
		}
		files = append(files, DictFile{Name: filepath.Base(p), SHA256: shortHash(data)})
	}
	return analysisOf(files)
}

// CurrentAnalysis returns the fingerprint of this process's dictionary,
// loading or compiling it if it is not loaded yet.
func CurrentAnalysis() (Analysis, error) {
	d, err := SharedDict()
	if err != nil {
		return Analysis{}, err
	}
	return d.analysis, nil
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
