package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"healthsearch/indexer"
)

// Document is an article or a related item with its links resolved.
type Document struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Title     string   `json:"title"`
	Body      []string `json:"body,omitempty"`
	Snippet   string   `json:"snippet,omitempty"`
	Date      string   `json:"date,omitempty"`
	Provinces []string `json:"provinces"`
	Cities    []string `json:"cities"`
	Topics    []string `json:"topics"`
	Source    string   `json:"source,omitempty"`
	// Related lists an article's 相关推荐 items in page order.
	Related []DocRef `json:"related,omitempty"`
	// Articles lists the articles that recommend a related item.
	Articles []DocRef `json:"articles,omitempty"`
}

// DocRef is a short reference to another document.
type DocRef struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Snippet string `json:"snippet,omitempty"`
	Date    string `json:"date,omitempty"`
	URL     string `json:"url"`
}

// maxLinked bounds how many linked documents one page lists.
const maxLinked = 200

// Document returns the document with the given id, or ErrNotFound.
func (e *Engine) Document(ctx context.Context, id string) (*Document, error) {
	if id == "" || len(id) > 64 {
		return nil, ErrNotFound
	}
	docs, err := e.fetch(ctx, []string{id}, []string{"*"})
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, ErrNotFound
	}
	f := docs[0]
	d := &Document{
		ID:        id,
		Type:      fieldString(f, indexer.FieldType),
		Title:     fieldString(f, indexer.FieldTitle),
		Snippet:   fieldString(f, indexer.FieldSnippet),
		Date:      dateOnly(fieldString(f, indexer.FieldDate)),
		Provinces: fieldStrings(f, indexer.FieldProvinces),
		Cities:    fieldStrings(f, indexer.FieldCities),
		Topics:    fieldStrings(f, indexer.FieldTopics),
		Source:    fieldString(f, indexer.FieldSource),
	}
	if body := fieldString(f, indexer.FieldBody); body != "" {
		d.Body = strings.Split(body, "\n")
	}
	linkFields := []string{indexer.FieldType, indexer.FieldTitle, indexer.FieldSnippet, indexer.FieldDate}
	if ids := fieldStrings(f, indexer.FieldRelatedIDs); len(ids) > 0 {
		d.Related, err = e.refs(ctx, ids, linkFields)
	}
	if err == nil {
		if ids := fieldStrings(f, indexer.FieldArticleIDs); len(ids) > 0 {
			d.Articles, err = e.refs(ctx, ids, linkFields)
		}
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (e *Engine) refs(ctx context.Context, ids []string, fields []string) ([]DocRef, error) {
	if len(ids) > maxLinked {
		ids = ids[:maxLinked]
	}
	docs, err := e.fetchByID(ctx, ids, fields)
	if err != nil {
		return nil, err
	}
	out := make([]DocRef, 0, len(ids))
	for _, id := range ids {
		f, ok := docs[id]
		if !ok {
			continue
		}
		out = append(out, DocRef{
			ID:      id,
			Type:    fieldString(f, indexer.FieldType),
			Title:   fieldString(f, indexer.FieldTitle),
			Snippet: fieldString(f, indexer.FieldSnippet),
			Date:    dateOnly(fieldString(f, indexer.FieldDate)),
			URL:     "/articles/" + id,
		})
	}
	return out, nil
}

func (e *Engine) fetch(ctx context.Context, ids, fields []string) ([]map[string]interface{}, error) {
	byID, err := e.fetchByID(ctx, ids, fields)
	if err != nil {
		return nil, err
	}
	var out []map[string]interface{}
	for _, id := range ids {
		if f, ok := byID[id]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

func (e *Engine) fetchByID(ctx context.Context, ids, fields []string) (map[string]map[string]interface{}, error) {
	req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = fields
	res, err := e.alias.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("fetch documents: %w", err)
	}
	out := make(map[string]map[string]interface{}, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = h.Fields
	}
	return out, nil
}

// AllFacets lists every value of each facet over the whole index.
func (e *Engine) AllFacets(ctx context.Context) (Facets, error) {
	if err := ctx.Err(); err != nil {
		return Facets{}, err
	}
	// The table is plain memory: it stays readable after a reload closes
	// its generation.
	t := e.current.Load().table
	top := func(i int) []termCount { return t.facets[i].top(t.allCounts(i), 1000) }
	return Facets{
		Province: facetValues(top(facetProvince), nil, false),
		Topic:    facetValues(top(facetTopic), nil, false),
		Date:     facetValues(top(facetDate), nil, true),
	}, nil
}
