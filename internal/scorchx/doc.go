// Package scorchx holds every assumption this project makes about bleve's
// scorch index beyond bleve's documented API, in one place, each with a
// test that fails loudly when a bleve upgrade breaks it
// (scorchx_test.go):
//
//   - ids.go: a document's internal id is its number in the snapshot,
//     eight bytes big-endian, numbering the documents of every segment in
//     turn; term searchers return matches in that order. The collector's
//     per-document columns and the union searcher rely on it.
//   - stored.go: the stored fields of a snapshot can be read segment by
//     segment (IndexSnapshot.Segments, VisitDocument), ten times faster
//     than a document lookup per id.
//   - stats.go: BM25 statistics given through bleve's context key, and the
//     scoring-model callback key.
//
// The search package goes through this package for all of it; the
// indexer's hand-written zap and root.bolt path is in indexer/offline.go
// behind its own comparison test.
package scorchx
