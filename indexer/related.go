package indexer

import (
	"context"
	"sort"
	"strings"

	"healthsearch/page"
)

// The related items of a build: deduplicated across pages, indexed once
// every page is read.

// relatedAcc collects one deduplicated related item across pages. Pages are
// read in parallel, so everything order-dependent is keyed by the page's
// index in the sorted file list: the item's text comes from the first page
// that has it and its articles are listed in page order, whatever order the
// workers finish in, so two builds of the same pages store the same documents.
type relatedAcc struct {
	item     page.RelatedItem
	articles []pageArticle
	order    int // index of the first page with the item
}

// pageArticle is an article id with the index of its page.
type pageArticle struct {
	page int
	id   string
}

// articleIDs returns the ids in page order.
func (a *relatedAcc) articleIDs() []string {
	sort.Slice(a.articles, func(i, j int) bool { return a.articles[i].page < a.articles[j].page })
	ids := make([]string, len(a.articles))
	for i, pa := range a.articles {
		ids[i] = pa.id
	}
	return ids
}

// relatedID is RelatedID memoised on the item's exact title and snippet.
// The same items recur on many pages (the corpus has 101k related slots for
// 7k distinct items), and folding and hashing every copy took a tenth of
// the build's CPU. The key is a copy, so it does not pin the page's text.
func (st *buildState) relatedID(it page.RelatedItem) string {
	key := [2]string{it.Title, it.Snippet}
	st.relIDMu.RLock()
	id, ok := st.relIDs[key]
	st.relIDMu.RUnlock()
	if ok {
		return id
	}
	id = RelatedID(it)
	st.relIDMu.Lock()
	st.relIDs[[2]string{strings.Clone(it.Title), strings.Clone(it.Snippet)}] = id
	st.relIDMu.Unlock()
	return id
}

// indexRelated writes the deduplicated related items once every page is
// read, because an item's article list is only complete then.
func (st *buildState) indexRelated(ctx context.Context) error {
	accs := make([]*relatedAcc, 0, len(st.related))
	for _, a := range st.related {
		accs = append(accs, a)
	}
	sort.Slice(accs, func(i, j int) bool {
		if accs[i].order != accs[j].order {
			return accs[i].order < accs[j].order
		}
		return RelatedID(accs[i].item) < RelatedID(accs[j].item)
	})
	st.sum.RelatedItems = len(accs)

	return runWorkers(ctx, st.opts.Workers, len(accs), func(_ context.Context, jobs <-chan int) error {
		b := st.newBatch()
		for i := range jobs {
			a := accs[i]
			doc := &Document{
				ID:         RelatedID(a.item),
				Type:       TypeRelated,
				Title:      a.item.Title,
				Snippet:    a.item.Snippet,
				Date:       a.item.Date,
				ArticleIDs: a.articleIDs(),
			}
			st.enrich(doc, a.item.Snippet)
			if err := b.add(doc); err != nil {
				return err
			}
		}
		return b.flush()
	})
}
