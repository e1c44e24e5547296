// Package indexer turns folders of article pages into bleve indexes.
//
// It owns the page format (parse.go, decode.go), enrichment with places,
// topics and dates (enrich.go, places.go, topics.go), the gse-based bleve
// analyzer (segmenter.go, analyzer.go), the index mapping (mapping.go) and
// the parallel batch build into immutable generation directories that are
// switched in atomically through a CURRENT pointer (build.go, generation.go).
// Everything that reads or writes the on-disk index layout lives here so the
// search package and the builders agree on it.
package indexer
