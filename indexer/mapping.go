package indexer

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"

	"healthsearch/analysis"
)

// Field names shared with the search package.
const (
	FieldTitle      = "title"
	FieldTitleNgram = "title_ng"
	FieldBody       = "body"
	FieldBodyNgram  = "body_ng"
	FieldSnippet    = "snippet"
	FieldSnipNgram  = "snippet_ng"
	FieldType       = "type"
	FieldDate       = "date"
	FieldMonth      = "month"
	FieldProvinces  = "provinces"
	FieldCities     = "cities"
	FieldTopics     = "topics"
	FieldArticleIDs = "article_ids"
	FieldRelatedIDs = "related_ids"
	FieldSource     = "source"
)

// NewMapping returns the index mapping: BM25, gse words for the text fields
// with term vectors for highlighting, a bigram twin of each text field for
// recall, keyword fields with doc values for filters and facets.
func NewMapping() *mapping.IndexMappingImpl {
	words := func(name string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Name = name
		f.Analyzer = analysis.AnalyzerName
		f.Store = true
		f.IncludeTermVectors = true
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	bigrams := func(name string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Name = name
		f.Analyzer = analysis.BigramAnalyzerName
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keywordField := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	storedOnly := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(FieldTitle, words(FieldTitle), bigrams(FieldTitleNgram))
	doc.AddFieldMappingsAt(FieldBody, words(FieldBody), bigrams(FieldBodyNgram))
	doc.AddFieldMappingsAt(FieldSnippet, words(FieldSnippet), bigrams(FieldSnipNgram))
	doc.AddFieldMappingsAt(FieldType, keywordField(true))
	date := bleve.NewDateTimeFieldMapping()
	date.Store = true
	date.DocValues = true
	date.IncludeInAll = false
	doc.AddFieldMappingsAt(FieldDate, date)
	doc.AddFieldMappingsAt(FieldMonth, keywordField(true))
	doc.AddFieldMappingsAt(FieldProvinces, keywordField(true))
	doc.AddFieldMappingsAt(FieldCities, keywordField(true))
	doc.AddFieldMappingsAt(FieldTopics, keywordField(true))
	doc.AddFieldMappingsAt(FieldArticleIDs, keywordField(true))
	doc.AddFieldMappingsAt(FieldRelatedIDs, storedOnly())
	doc.AddFieldMappingsAt(FieldSource, storedOnly())
	doc.AddFieldMappingsAt("id", storedOnly())

	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analysis.AnalyzerName
	m.ScoringModel = "bm25"
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}
