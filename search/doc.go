// Package search answers queries over the index that package indexer builds.
//
// It owns the Engine (engine.go: open the live generation, reload when a
// new one is published, swap it in without failing a request, refuse a
// generation cut with another analysis), request validation (request.go),
// query planning and word ranking (query.go: analysis with the shared
// analyzer, stop words, synonyms, sub-words, bigram fragments, relaxation;
// wordquery.go and union.go: the query types and searchers it builds;
// scoring.go: the generation's BM25 statistics), the ranking of questions
// in the asker's own words by shared character bigrams (question.go),
// explanations of a ranking (explain.go), typo and pinyin correction from
// the generation's own vocabulary (correct.go), the hit collector
// (doctable.go, collect.go, rerank.go: facets, filters, ties and constant
// bonuses from per-generation document columns), disjunctive facets,
// highlighting (highlight.go), suggestions (suggest.go), article pages
// (article.go) and hints for a search that finds nothing (hints.go). What
// it assumes about bleve's scorch beyond its API is in internal/scorchx.
//
// Its API speaks only its own types: no bleve type leaves this package,
// so the web layer and the CLI never depend on the index library.
package search
