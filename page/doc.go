// Package page reads the article page format: a title line, an optional
// preamble, the body, a 提示: disclaimer, 相关推荐 and the related items
// (title, snippet, 健康新闻 YYYY-MM-DD).
//
// DecodePage (decode.go) turns a file's bytes into normalised text: UTF-8
// with or without BOM, UTF-16 with BOM, or GBK/GB18030, with size limits.
// ParsePage (parse.go) finds the parts and returns a Page (page.go) or a
// clear error for a page it cannot use (ErrEmpty, ErrBinary, ErrNoTitle,
// ErrNoBody, ErrTooLarge); ArticleDate dates an article from its related
// items. It knows nothing of indexes: the indexer package builds documents
// from Pages.
package page
