package indexer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"healthsearch/analysis"
)

// meta.json records what a generation holds, for operators and /readyz.
const metaFile = "healthsearch-meta.json"

// GenerationMeta is stored beside each generation's index files.
type GenerationMeta struct {
	Generation   string    `json:"generation"`
	BuiltAt      time.Time `json:"built_at"`
	Pages        int       `json:"pages"`
	Articles     int       `json:"articles"`
	RelatedItems int       `json:"related_items"`
	Skipped      int       `json:"skipped"`
	// Analysis is the fingerprint of the analysis the words were cut
	// with (analysis/fingerprint.go); nil in generations built before it existed.
	Analysis *analysis.Analysis `json:"analysis,omitempty"`
}

func writeMeta(dir string, sum *Summary) error {
	d, err := analysis.SharedDict()
	if err != nil {
		return err
	}
	if err := analysis.WriteDict(dir, d); err != nil {
		return fmt.Errorf("write dictionary: %w", err)
	}
	an := d.Analysis()
	meta := GenerationMeta{
		Analysis:     &an,
		Generation:   sum.Generation,
		BuiltAt:      time.Now().UTC(),
		Pages:        sum.Pages,
		Articles:     sum.Articles,
		RelatedItems: sum.RelatedItems,
		Skipped:      len(sum.Skipped),
	}
	data, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, metaFile), data, 0o644)
}

// ReadGenerationMeta reads the metadata of the generation at path.
func ReadGenerationMeta(path string) (GenerationMeta, error) {
	var m GenerationMeta
	data, err := os.ReadFile(filepath.Join(path, metaFile))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}
