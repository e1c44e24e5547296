package indexer

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"healthsearch/page"
)

// Listing, reading and indexing the pages of a build.

// pageFile is a page to index; rel is its path relative to its source
// folder, used in reports and as the document's source.
type pageFile struct {
	path, rel string
	size      int64
}

func listPages(sources []string) ([]pageFile, error) {
	var files []pageFile
	for _, src := range sources {
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("source %s: not a directory", src)
		}
		err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".txt") {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				rel = path
			}
			files = append(files, pageFile{path: path, rel: filepath.ToSlash(rel), size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", src, err)
		}
	}
	// Sorted input makes the build, the summary and duplicate resolution
	// independent of directory order.
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	return files, nil
}

// indexPage parses one page and returns its article, or nil when the page
// is skipped or its article already indexed. Problems with the page are
// recorded in the summary.
func (st *buildState) indexPage(pageIdx int, f pageFile, buf *[]byte) *Document {
	defer func() {
		st.done.Add(1)
		if st.opts.Progress != nil {
			st.opts.Progress(Progress{PagesTotal: st.total, PagesDone: int(st.done.Load()), Docs: int(st.docs.Load())})
		}
	}()
	pg, err := readPageInto(f, buf)
	if err != nil {
		st.mu.Lock()
		st.sum.Skipped = append(st.sum.Skipped, Skipped{File: f.path, Reason: err.Error()})
		st.mu.Unlock()
		return nil
	}
	id := ArticleID(f.rel)
	rids := make([]string, len(pg.Related))
	for i, it := range pg.Related {
		rids[i] = st.relatedID(it)
	}
	relIDs := make([]string, 0, len(pg.Related))
	seen := make(map[string]bool, len(pg.Related))
	for _, rid := range rids {
		if !seen[rid] {
			seen[rid] = true
			relIDs = append(relIDs, rid)
		}
	}

	st.mu.Lock()
	st.sum.Pages++
	st.sum.Bytes += f.size
	for _, w := range pg.Warnings {
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: w})
	}
	if st.articles[id] {
		st.sum.DuplicatePages++
		st.mu.Unlock()
		return nil
	}
	st.articles[id] = true
	st.sum.Articles++
	st.sum.RelatedSlots += len(pg.Related)
	for i, it := range pg.Related {
		rid := rids[i]
		acc := st.related[rid]
		switch {
		case acc == nil:
			acc = &relatedAcc{item: it, order: pageIdx}
			st.related[rid] = acc
		case pageIdx < acc.order:
			// An earlier page: its copy of the text wins, the newest date stays.
			date := max(acc.item.Date, it.Date)
			acc.item, acc.order = it, pageIdx
			acc.item.Date = date
		case it.Date > acc.item.Date:
			acc.item.Date = it.Date
		}
		if n := len(acc.articles); n == 0 || acc.articles[n-1].id != id {
			acc.articles = append(acc.articles, pageArticle{page: pageIdx, id: id})
		}
	}
	st.mu.Unlock()

	body, full := indexedBody(pg.Body)
	if full > len(body) {
		st.mu.Lock()
		st.sum.Warnings = append(st.sum.Warnings, Skipped{File: f.path, Reason: fmt.Sprintf(
			"body is %d bytes; indexed and stored the first %d", full, len(body))})
		st.mu.Unlock()
	}
	doc := &Document{
		ID:         id,
		Type:       TypeArticle,
		Title:      pg.Title,
		Body:       body,
		Date:       page.ArticleDate(pg),
		RelatedIDs: relIDs,
		Source:     f.rel,
	}
	st.enrich(doc, body)
	return doc
}

// MaxBodyBytes caps the body text of one article that is indexed and
// stored. Real articles are 3-20 KB. Analysis holds every token of a
// document with its term vector until the batch is written, ~100 bytes of
// heap per byte of Chinese text, so an 8 MB page of one repeated word took
// most of a gigabyte per worker; and every search hitting a stored body
// highlights all of it.
const MaxBodyBytes = 256 << 10

// indexedBody joins the paragraphs and cuts the text to MaxBodyBytes, on a
// paragraph break when that keeps at least half, else on a character
// boundary. It also returns the length of the whole body.
func indexedBody(paras []string) (body string, full int) {
	body = strings.Join(paras, "\n")
	if len(body) <= MaxBodyBytes {
		return body, len(body)
	}
	cut := MaxBodyBytes
	if nl := strings.LastIndexByte(body[:cut], '\n'); nl >= MaxBodyBytes/2 {
		cut = nl
	} else {
		for !utf8.RuneStart(body[cut]) {
			cut--
		}
	}
	// A copy, so the document does not pin the whole joined text.
	return strings.Clone(body[:cut]), len(body)
}

func readPage(f pageFile) (*page.Page, error) {
	var buf []byte
	return readPageInto(f, &buf)
}

// readPageInto is readPage reading into *buf, which it grows as needed:
// a worker reads tens of thousands of pages, and ParsePage copies what it
// keeps.
func readPageInto(f pageFile, buf *[]byte) (*page.Page, error) {
	if f.size > page.MaxPageBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", page.ErrTooLarge, f.size, page.MaxPageBytes)
	}
	data, err := readFile(f.path, (*buf)[:0], f.size)
	*buf = data
	if err != nil {
		return nil, err
	}
	return page.ParsePage(data)
}

// readFile appends the content of the file at path to buf, reading at most
// MaxPageBytes+1 bytes (enough for ParsePage to reject a page that grew
// since it was listed). It makes the system calls itself: os.ReadFile's
// stat, poller registration and fcntl cost more than the read of a small
// page, and a build reads every page. Errors are os.ReadFile's.
func readFile(path string, buf []byte, size int64) ([]byte, error) {
	var fd int
	var err error
	for {
		if fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return buf, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf = slices.Grow(buf, int(min(size, page.MaxPageBytes))+1)
	for len(buf) <= page.MaxPageBytes {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), page.MaxPageBytes+1-len(buf)))
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return buf, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n <= 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}
func (st *buildState) enrich(doc *Document, text string) {
	if len(doc.Date) >= 7 {
		doc.Month = doc.Date[:7]
	}
	if st.opts.Enrich != nil {
		e := st.opts.Enrich(doc.Title, text)
		doc.Provinces, doc.Cities, doc.Topics = e.Provinces, e.Cities, e.Topics
	}
}
