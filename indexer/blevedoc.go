package indexer

import (
	"fmt"
	"unsafe"

	bleveanalysis "github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"

	"healthsearch/analysis"
)

// docMapper turns a Document into the bleve document that
// mapping.MapDocument makes of it under NewMapping, without MapDocument's
// reflection (a walk of the struct, a mapping lookup per path, every value
// boxed), and with cheaper fields where the mapping allows (keywordField,
// bigramField). The field list, options and analyzers come from the
// mapping itself, so the two stay in step; TestDocMapperMatchesMapping
// compares them document by document, a Document field added without a
// docMapper property included.
type docMapper struct {
	props   [numProps][]fieldSpec
	all     bool // whether documents get the _all composite field
	compose bool // whether any field goes into _all
}

// The properties of Document in struct order, which is the order
// MapDocument adds their fields in.
const (
	propID = iota
	propType
	propTitle
	propBody
	propSnippet
	propDate
	propMonth
	propProvinces
	propCities
	propTopics
	propArticleIDs
	propRelatedIDs
	propSource
	numProps
)

var propNames = [numProps]string{
	propID:         "id",
	propType:       FieldType,
	propTitle:      FieldTitle,
	propBody:       FieldBody,
	propSnippet:    FieldSnippet,
	propDate:       FieldDate,
	propMonth:      FieldMonth,
	propProvinces:  FieldProvinces,
	propCities:     FieldCities,
	propTopics:     FieldTopics,
	propArticleIDs: FieldArticleIDs,
	propRelatedIDs: FieldRelatedIDs,
	propSource:     FieldSource,
}

// fieldSpec is one field mapping of a property, resolved.
type fieldSpec struct {
	name       string
	datetime   bool
	keyword    bool // a text field under the keyword analyzer
	bigram     bool // a text field without term vectors under the bigram analyzer
	opts       index.FieldIndexingOptions
	analyzer   bleveanalysis.Analyzer       // text fields
	dateParser bleveanalysis.DateTimeParser // datetime fields
	inAll      bool
}

func newDocMapper(m *mapping.IndexMappingImpl) (*docMapper, error) {
	dm := &docMapper{}
	root := m.DefaultMapping
	if !root.Enabled || len(m.TypeMapping) > 0 {
		return nil, fmt.Errorf("mapping: want one enabled default document mapping")
	}
	all := root.Properties["_all"]
	dm.all = all == nil || all.Enabled
	for p, prop := range propNames {
		sub := root.Properties[prop]
		if sub == nil || !sub.Enabled || len(sub.Properties) > 0 {
			return nil, fmt.Errorf("mapping: property %q is not a plain field mapping", prop)
		}
		for _, fm := range sub.Fields {
			spec := fieldSpec{name: prop, opts: fm.Options(), inAll: fm.IncludeInAll}
			if fm.Name != "" {
				spec.name = fm.Name
			}
			switch fm.Type {
			case "text":
				// FieldMapping.analyzerForField: the field's analyzer, else
				// the nearest default on the path, else the index default.
				name := fm.Analyzer
				if name == "" {
					name = sub.DefaultAnalyzer
				}
				if name == "" {
					name = root.DefaultAnalyzer
				}
				if name == "" {
					name = m.DefaultAnalyzer
				}
				if spec.analyzer = m.AnalyzerNamed(name); spec.analyzer == nil {
					return nil, fmt.Errorf("mapping: field %q: no analyzer %q", spec.name, name)
				}
				spec.keyword = name == keyword.Name
				spec.bigram = name == analysis.BigramAnalyzerName && !spec.opts.IncludeTermVectors()
			case "datetime":
				spec.datetime = true
				if spec.dateParser = m.DateTimeParserNamed(fm.DateFormat); spec.dateParser == nil {
					return nil, fmt.Errorf("mapping: field %q: no date parser %q", spec.name, fm.DateFormat)
				}
			default:
				return nil, fmt.Errorf("mapping: field %q: type %q is not supported here", spec.name, fm.Type)
			}
			dm.props[p] = append(dm.props[p], spec)
			dm.compose = dm.compose || spec.inAll
		}
	}
	return dm, nil
}

// document returns d's bleve document, fields unanalysed.
func (dm *docMapper) document(d *Document) *document.Document {
	doc := document.NewDocument(d.ID)
	lists := [...]struct {
		p      int
		values []string
	}{
		{propProvinces, d.Provinces}, {propCities, d.Cities}, {propTopics, d.Topics},
		{propArticleIDs, d.ArticleIDs}, {propRelatedIDs, d.RelatedIDs},
	}
	n := 16 // the scalar properties' fields and _id
	for _, l := range lists {
		n += len(l.values) * len(dm.props[l.p])
	}
	doc.Fields = make([]document.Field, 0, n)
	// MapDocument walks from an empty, non-nil array path; every field
	// of a scalar property shares it.
	noArray := []uint64{}
	// MapDocument lists a field once per value; _all only needs the set.
	notInAll := []string{"_id"}
	add := func(p int, value string, arrayPos []uint64) {
		for i := range dm.props[p] {
			spec := &dm.props[p][i]
			if spec.datetime {
				t, layout, err := spec.dateParser.ParseDateTime(value)
				if err != nil {
					continue
				}
				f, err := document.NewDateTimeFieldWithIndexingOptions(spec.name, arrayPos, t, layout, spec.opts)
				if err != nil {
					// MapDocument logs and drops a date it cannot represent.
					continue
				}
				doc.AddField(f)
			} else if spec.keyword {
				doc.AddField(&keywordField{name: spec.name, arrayPos: arrayPos, opts: spec.opts, value: []byte(value)})
			} else if spec.bigram {
				doc.AddField(&bigramField{name: spec.name, arrayPos: arrayPos, opts: spec.opts, analyzer: spec.analyzer, value: []byte(value)})
			} else {
				doc.AddField(document.NewTextFieldCustom(spec.name, arrayPos, []byte(value), spec.opts, spec.analyzer))
			}
			if !spec.inAll && notInAll[len(notInAll)-1] != spec.name {
				notInAll = append(notInAll, spec.name)
			}
		}
	}
	addAll := func(p int, values []string) {
		// One array of positions for the whole list (a related item
		// has hundreds of article ids).
		pos := make([]uint64, len(values))
		for i, v := range values {
			pos[i] = uint64(i)
			add(p, v, pos[i:i+1:i+1])
		}
	}
	add(propID, d.ID, noArray)
	add(propType, d.Type, noArray)
	add(propTitle, d.Title, noArray)
	add(propBody, d.Body, noArray)
	add(propSnippet, d.Snippet, noArray)
	add(propDate, d.Date, noArray)
	add(propMonth, d.Month, noArray)
	for _, l := range lists {
		addAll(l.p, l.values)
	}
	add(propSource, d.Source, noArray)
	if dm.all {
		doc.AddField(document.NewCompositeFieldWithIndexingOptions("_all", true, []string{}, notInAll,
			index.IndexField|index.IncludeTermVectors))
	}
	doc.SetIndexed()
	return doc
}

// analyzeDocument adds the _id field and analyses every indexed field, as
// scorch does to each document of a batch (scorch.analyze; our mapping has
// no geo or vector fields, which also get a spatial plugin there). Fields
// are composed into _all only when the mapping puts any there: Compose
// ignores the others.
func (dm *docMapper) analyzeDocument(doc *document.Document) {
	doc.AddIDField()
	for _, field := range doc.Fields {
		if !field.Options().IsIndexed() {
			continue
		}
		field.Analyze()
		if dm.compose && field.Name() != "_id" {
			for _, cf := range doc.CompositeFields {
				cf.Compose(field.Name(), field.AnalyzedLength(), field.AnalyzedTokenFrequencies())
			}
		}
	}
}

// keywordField is a document.TextField under the keyword analyzer, which
// makes the whole value one token, without the analyzer: a TextField copies
// the value and runs it through the analyzer's token stream before it
// counts the token, five allocations for what is one map entry, and a
// related item on the 8× corpus has ~900 article ids.
// TestDocMapperMatchesMapping compares the two field by field.
type keywordField struct {
	name     string
	arrayPos []uint64
	opts     index.FieldIndexingOptions
	value    []byte
	freqs    index.TokenFrequencies
}

func (f *keywordField) Name() string                        { return f.name }
func (f *keywordField) Value() []byte                       { return f.value }
func (f *keywordField) ArrayPositions() []uint64            { return f.arrayPos }
func (f *keywordField) EncodedFieldType() byte              { return 't' }
func (f *keywordField) Options() index.FieldIndexingOptions { return f.opts }
func (f *keywordField) AnalyzedLength() int                 { return 1 }
func (f *keywordField) NumPlainTextBytes() uint64           { return uint64(len(f.value)) }

// AnalyzedTokenFrequencies returns the frequencies Analyze counted. Like a
// TextField's, the segment writer may merge the frequencies of the array's
// other values into them.
func (f *keywordField) AnalyzedTokenFrequencies() index.TokenFrequencies { return f.freqs }

// Size estimates the field's memory, as document.Field asks.
func (f *keywordField) Size() int {
	return int(unsafe.Sizeof(*f)) + len(f.name) + 8*len(f.arrayPos) + len(f.value)
}

// Analyze counts what bleveanalysis.TokenFrequency counts of the keyword
// analyzer's single token: the whole value, at position 1.
func (f *keywordField) Analyze() {
	tf := &index.TokenFreq{Term: f.value}
	if f.opts.IncludeTermVectors() {
		tf.Locations = []*index.TokenLocation{{ArrayPositions: f.arrayPos, Start: 0, End: len(f.value), Position: 1}}
	}
	if !f.opts.SkipFreqNorm() {
		tf.SetFrequency(1)
	}
	f.freqs = index.TokenFrequencies{string(f.value): tf}
}
