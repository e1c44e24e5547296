// Package search answers queries over the index that package indexer builds.
//
// It owns the Engine (open the live generation, reload when a new one is
// published, swap it in without failing a request), request validation,
// query building (gse analysis, stop words, synonyms, bigram fallback,
// query.go), the ranking of questions in the asker's own words by shared
// character bigrams (question.go), explanations of a ranking (explain.go),
// typo and pinyin correction from the generation's own vocabulary
// (correct.go),
// the hit collector (doctable.go, collect.go, rerank.go: facets, filters,
// ties and constant bonuses from per-generation document columns),
// disjunctive facets, highlighting and suggestions. Its API speaks only its
// own types: no bleve type leaves this package, so the web layer and the CLI
// never depend on the index library.
package search
