package page

// Page is one parsed article page: what the site shows, with the boilerplate
// (preamble, disclaimer, 大家都在搜, footer) already removed.
type Page struct {
	// Title is the first non-empty line of the page.
	Title string `json:"title"`
	// Date is the page's own date (YYYY-MM-DD) when the page states one; the
	// seed format does not, so it is usually empty and the article takes the
	// newest date of its related items (see ArticleDate).
	Date string `json:"date,omitempty"`
	// Body holds the article's paragraphs in order, trimmed, without blank lines.
	Body []string `json:"body"`
	// Related holds the 相关推荐 items in page order (duplicates kept; the
	// builder deduplicates across pages).
	Related []RelatedItem `json:"related"`
	// Warnings lists what was wrong but recoverable (bad date, truncated
	// item, decoded from GBK …); the page is still indexed.
	Warnings []string `json:"warnings,omitempty"`
}

// RelatedItem is one 相关推荐 entry: a title, a snippet and a date.
type RelatedItem struct {
	Title   string `json:"title"`
	Snippet string `json:"snippet"`
	// Date is YYYY-MM-DD, or empty when the item's date line was missing or
	// could not be parsed (reported in Page.Warnings).
	Date string `json:"date,omitempty"`
}
