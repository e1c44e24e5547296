// Package analysis is the text analysis that the index and the queries
// share, so both cut text the same way.
//
//   - fold.go: FoldText and IsHan — full-width forms, case and traditional
//     characters folded to the simplified forms the dictionary holds.
//   - segmenter.go: loads gse's embedded dictionary with the domain
//     dictionary (dict/domain.txt), the gazetteer's place names (places.go)
//     and user dictionaries (AddUserDict), and gives every tokenizer of the
//     process one read-only dictionary (SharedDict, SetSharedDict).
//   - worddict.go: Dict, gse's dictionary compiled through its public API
//     into a compact trie that a generation stores (analysis.dict) and a
//     server loads instead of gse's text files.
//   - analyzer.go: the bleve tokenizer that cuts Han runs exactly as gse's
//     Cut does (the DAG of dictionary words, no HMM) and adds dictionary
//     sub-words; the word analyzer and the character-bigram analyzer,
//     registered in bleve's registry under AnalyzerName and
//     BigramAnalyzerName for the index mapping.
//   - fingerprint.go: Analysis, the fingerprint of the dictionaries and
//     analyzer version a generation was built with, which a server checks.
//
// Word segmentation happens here (Tokenizer.Tokenize, cutHan); the indexer
// uses the analyzers by name through its mapping, the search package cuts
// queries with the same analyzer.
package analysis
