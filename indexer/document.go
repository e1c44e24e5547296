package indexer

import (
	"crypto/sha1"
	"encoding/hex"
	"path"
	"path/filepath"
	"strings"

	"healthsearch/analysis"
	"healthsearch/page"
)

// Document types.
const (
	TypeArticle = "article"
	TypeRelated = "related"
)

// Document is what the index stores for an article or a related item. The
// json names are the bleve field names (see mapping.go).
type Document struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title"`
	// Body is an article's paragraphs joined by "\n".
	Body string `json:"body,omitempty"`
	// Snippet is a related item's text.
	Snippet string `json:"snippet,omitempty"`
	// Date is YYYY-MM-DD; Month its YYYY-MM prefix for the date facet.
	Date      string   `json:"date,omitempty"`
	Month     string   `json:"month,omitempty"`
	Provinces []string `json:"provinces,omitempty"`
	Cities    []string `json:"cities,omitempty"`
	Topics    []string `json:"topics,omitempty"`
	// ArticleIDs lists, for a related item, the articles that recommend it.
	ArticleIDs []string `json:"article_ids,omitempty"`
	// RelatedIDs lists, for an article, its related items in page order.
	RelatedIDs []string `json:"related_ids,omitempty"`
	// Source is the page file an article came from, relative to its source folder.
	Source string `json:"source,omitempty"`
}

// ArticleID derives an article's id from its page's path relative to its
// source folder: a page is an address on the site, so the same page keeps
// its id across builds even when its text is edited, two source folders
// mirroring the same path give one article, and copies of a page under
// different paths stay distinct articles.
func ArticleID(relPath string) string {
	return "a" + contentHash(strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(relPath)), "/"))
}

// RelatedID derives a related item's id from its normalised title and
// snippet: the key under which recurring items are deduplicated.
func RelatedID(it page.RelatedItem) string {
	return "r" + contentHash(normalizeKey(it.Title), normalizeKey(it.Snippet))
}

func contentHash(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// normalizeKey removes what differs between copies of the same text on
// different pages: spacing, width, case and script variants.
func normalizeKey(s string) string {
	s = analysis.FoldText(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == 0xA0 {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
