package search

// The ranking's weights and thresholds, in one place. Each was measured
// with `make eval` on the dev sets (eval/README.md, eval/results.md) and
// the ranking tests (ranking_test.go, asks_test.go); change one only with
// those figures before and after.

// Ranking weights, measured with `make eval` (eval/README.md). Scores are
// BM25 with one idf per query word (wordquery.go), so the weights below compare
// like with like.
//
// A query word found in the title says most about what a document is about.
// A synonym counts a little less than the word typed; a sub-word of a query
// word (余额 inside 医保余额) less again; bigram matches only rescue recall.
// Optional parts (single characters, stop words through the title's bigrams,
// the whole query as a phrase) order the documents that match the words.
const (
	boostTitle   = 3.0
	boostBody    = 1.0
	boostSnippet = 1.0

	weightSynonym = 0.8
	weightSubword = 0.3
	// weightFragmentSynonym scales the synonyms of a fragment (胃疼, which
	// gse splits, matched by its bigram) below the fragment itself.
	weightFragmentSynonym = 0.4
	// weightSplit is for a compound's parts found apart (异地 … 就医).
	weightSplit = 0.6

	// boostBigram matches a typed word by its bigrams in the title, for
	// titles that gse segments differently around it.
	boostBigram = 0.4
	// boostOptional scores single characters that are not stop words (用,
	// 药, 胖): a document need not contain them, one that does ranks higher.
	boostOptional = 0.5
	// boostTitleCover scores the share of the query's character bigrams,
	// stop words included, found in the title: the title that says what the
	// user typed ranks first among those matching the words.
	boostTitleCover = 1.5
	// bonusPhrase is added when the query's words appear in the title (body)
	// in the order typed.
	bonusPhraseTitle = 4.0
	bonusPhraseBody  = 1.0
	// Articles rank above related items that match as well: a related item
	// is a teaser of some article, its snippet an excerpt of the article's
	// body, and as the shorter text BM25 favours it. bonusArticle adds a
	// little to every article; scaleArticle multiplies an article's score,
	// which settles an article and its teaser with the same title at any
	// score level.
	bonusArticle = 1.0
	scaleArticle = 1.1
	// bonusAllWords ranks the documents that match every required word
	// above those that match only some, when a short list is filled up.
	bonusAllWords = 1000.0
	// bonusAllWordsGraded is that lead in a question of gradedFrom words
	// or more, where one missing context word should cost a little.
	bonusAllWordsGraded = 0.0
)

// boostRelaxed*Bigrams weigh the share of the query's bigrams found in a
// relaxed search's documents (textQuery).
const (
	boostRelaxedTitleBigrams = 8.0
	boostRelaxedBodyBigrams  = 3.0
)

// fillBelow is the number of results below which a search relaxes to the
// next step of relaxations: a short list of documents matching every word
// is completed by documents matching some, ranked after them.
const fillBelow = 10

// longQueryWords is the number of required words from which a query is a
// long question (relaxations).
const longQueryWords = 5

// gradedFrom is the number of required words from which every search runs
// to the last relaxation step (Search): the strict matches get a graded
// lead (bonusAllWordsGraded), not the wall of bonusAllWords.
const gradedFrom = 3

// gradedUntil bounds that: with this many strict matches or more, the
// strict list is long enough to rank on its own, and running the last step
// over every document with one rare word would cost more than it brings
// (measured: running it up to 100 strict matches cost 60% more time over bench/queries.txt, up to 20 cost 40% more for the same eval figures).
const gradedUntil = 20

// questionRunes is the number of Han characters from which a query is a
// question in the asker's words rather than a few search words: the ask
// sets' questions have 6–40, their descriptions up to 100; titles typed as
// known items have 4–12 (measured: 8 loses known-item MRR, 14 loses the
// shorter questions).
const questionRunes = 12

// weightQuestionSynonym scales the bigrams of a question word's synonyms.
const weightQuestionSynonym = 0.8
