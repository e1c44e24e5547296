package analysis

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/go-ego/gse"
)

//go:embed dict/domain.txt
var domainDict []byte

// placeWordFreq is high enough that a place name beats its pieces in gse's
// shortest path but lower than the domain terms, so 崇左扶绥 still splits
// into two places rather than gluing onto a following word.
const placeWordFreq = 20000

var (
	segMu        sync.Mutex
	segOnce      sync.Once
	sharedSeg    *gse.Segmenter
	segErr       error
	userDictList []string

	// dict is the process's dictionary (SharedDict): the one deliberately
	// shared value of the analysis, read-only once set.
	dict *Dict
)

// AddUserDict registers extra dictionary files (word [freq [pos]] per line) for
// the shared segmenter. It must run before the segmenter is first used: gse's
// dictionary is not safe to mutate while other goroutines segment.
func AddUserDict(paths ...string) error {
	segMu.Lock()
	defer segMu.Unlock()
	if sharedSeg != nil || dict != nil {
		return fmt.Errorf("user dictionary %v: segmenter already loaded", paths)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("user dictionary: %w", err)
		}
	}
	userDictList = append(userDictList, paths...)
	return nil
}

// SharedDict returns the dictionary every tokenizer of the process walks:
// the one SetSharedDict installed (a generation's, in a server), or else
// one compiled from gse's dictionary with the user dictionaries added by
// AddUserDict, on first use.
func SharedDict() (*Dict, error) {
	segMu.Lock()
	defer segMu.Unlock()
	if dict != nil {
		return dict, nil
	}
	seg := sharedSeg
	if seg == nil {
		// Not the cached Segmenter: once compiled, gse's ~150 MB can go.
		var err error
		if seg, err = loadSegmenter(userDictList); err != nil {
			return nil, err
		}
	}
	an, err := analysisOf(userDictFiles)
	if err != nil {
		return nil, err
	}
	dict = compileDict(seg.Dict, an)
	return dict, nil
}

// SetSharedDict installs d, a generation's dictionary, as the process's,
// before anything segments; it fails if a different one is in use.
func SetSharedDict(d *Dict) error {
	segMu.Lock()
	defer segMu.Unlock()
	if dict != nil {
		if diff := dict.analysis.Diff(d.analysis); diff != "" {
			return fmt.Errorf("dictionary already loaded, and different: %s", diff)
		}
		return nil
	}
	if len(userDictList) > 0 {
		return fmt.Errorf("user dictionaries %v given: compare with CheckAnalysis instead", userDictList)
	}
	dict = d
	return nil
}

// Segmenter returns the process-wide gse segmenter, loading it on first use.
// The tokenizer does not use it (SharedDict); it is gse as such, for the
// tests that compare the two and for the benchmark's gse bound.
func Segmenter() (*gse.Segmenter, error) {
	segOnce.Do(func() {
		segMu.Lock()
		defer segMu.Unlock()
		sharedSeg, segErr = loadSegmenter(userDictList)
	})
	return sharedSeg, segErr
}

func loadSegmenter(userDicts []string) (*gse.Segmenter, error) {
	// Loading allocates ~400 MB on the way to a ~130 MB dictionary, and at
	// the default GOGC the collector re-marks the growing heap a dozen
	// times: GOGC 400 for the load takes a quarter off the server's start
	// (1.9 s → 1.45 s) and 40% off its CPU, at the same peak RSS.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	seg := &gse.Segmenter{SkipLog: true}
	// Only the simplified dictionary: text is folded to simplified before it
	// is segmented, so the traditional one would cost memory for nothing.
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		return nil, fmt.Errorf("load gse dictionary: %w", err)
	}
	if err := addDictWords(seg, "embedded domain dictionary", domainDict); err != nil {
		return nil, err
	}
	for _, w := range placeWords() {
		if _, _, ok := seg.Find(w); !ok {
			if err := seg.AddToken(w, placeWordFreq, "ns"); err != nil {
				return nil, fmt.Errorf("add place %q: %w", w, err)
			}
		}
	}
	userDictFiles = nil
	for _, p := range userDicts {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("user dictionary: %w", err)
		}
		if err := addDictWords(seg, p, data); err != nil {
			return nil, err
		}
		// The fingerprint is of the bytes loaded, not of the file later.
		userDictFiles = append(userDictFiles, DictFile{Name: filepath.Base(p), SHA256: shortHash(data)})
	}
	return seg, nil
}

// addDictWords reads "word [freq [pos]]" lines; '#' starts a comment and
// "-word" removes a word of the stock dictionary that glues characters
// across a word boundary (在外 in 在外省 hides 外省).
func addDictWords(seg *gse.Segmenter, name string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if w, ok := strings.CutPrefix(text, "-"); ok {
			w = strings.ToLower(foldString(strings.TrimSpace(w)))
			if _, _, found := seg.Find(w); found {
				if err := seg.RemoveToken(w); err != nil {
					return fmt.Errorf("%s:%d: remove %q: %w", name, line, w, err)
				}
			}
			continue
		}
		fields := strings.Fields(text)
		freq := 30000.0
		pos := "n"
		if len(fields) > 1 {
			f, err := strconv.ParseFloat(fields[1], 64)
			if err != nil || f <= 0 {
				return fmt.Errorf("%s:%d: bad frequency %q", name, line, fields[1])
			}
			freq = f
		}
		if len(fields) > 2 {
			pos = fields[2]
		}
		word := strings.ToLower(foldString(fields[0]))
		// gse's AddToken keeps a word it already has with the stock weight,
		// so a listed word the stock dictionary also has (外省) still lost to
		// its neighbours (在外省 → 在外 / 省); the entry replaces it instead.
		add := seg.AddToken
		if _, _, ok := seg.Find(word); ok {
			add = seg.ReAddToken
		}
		if err := add(word, freq, pos); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
