package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

const siteName = "健康搜索"

var (
	pageTemplates = mustParsePages(templateFiles, "home", "search", "article", "error")
	static        = mustLoadStatic(staticFiles)
)

// registerPages adds the HTML pages.
func (s *Server) registerPages(r *gin.Engine) {
	r.GET("/", s.homePage)
	r.GET("/search", s.searchPage)
	r.GET("/articles/:id", s.articlePage)
	r.GET("/static/*filepath", static.serve)
}

// mustParsePages parses the shared layout once and, for each page, a clone
// of it with the page's own blocks: every page defines "content", so they
// cannot share one template set.
func mustParsePages(fsys fs.FS, names ...string) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(template.FuncMap{
		"typeLabel": typeLabel,
	}).ParseFS(fsys, "templates/layout.html"))
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.Must(base.Clone()).ParseFS(fsys, "templates/"+n+".html"))
	}
	return out
}

// layout is what every page's frame needs.
type layout struct {
	Title string
	Asset string
	Form  searchForm
}

// searchForm is the search box in the header. Hidden carries the current
// filters, so a new query keeps them; they stay visible as removable chips.
type searchForm struct {
	Query     string
	Hidden    []field
	Autofocus bool
	// Fuzzy ticks the 模糊音 box: the search treats n/l, z/zh … as one.
	Fuzzy bool
}

type field struct{ Name, Value string }

// link is a labelled URL, with a result count where one is known.
type link struct {
	Label string
	URL   string
	Count int
}

func (s *Server) newLayout(title, query string) layout {
	if title == "" {
		title = siteName
	} else {
		title += " - " + siteName
	}
	return layout{Title: title, Asset: static.version, Form: searchForm{Query: query}}
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "request_id", c.GetString(ctxRequestID), "err", err)
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error"))
		return
	}
	// Results follow the live index, and health questions are personal:
	// no shared caches, always revalidate.
	c.Header("Cache-Control", "private, no-cache")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
	Detail  string
	Links   []link
}

func (s *Server) errorPage(c *gin.Context, status int, heading, message, detail string, links ...link) {
	p := errorPage{layout: s.newLayout(heading, ""), Status: status, Heading: heading, Message: message, Detail: detail, Links: links}
	p.Form.Query = c.Query("q")
	s.render(c, status, "error", p)
	c.Abort()
}

// pageFailure answers an engine error with an HTML page; the JSON API's
// internalError is for API clients.
func (s *Server) pageFailure(c *gin.Context, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		s.errorPage(c, http.StatusServiceUnavailable, "搜索超时", "这次搜索用时太长。请稍后重试，或换一个更具体的搜索词。", "")
		return
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The browser went away (a closed tab, a new search typed over the
		// old one): nobody reads the page, and it is no error of ours.
		c.AbortWithStatus(statusClientClosed)
		return
	}
	id := c.GetString(ctxRequestID)
	s.log.Error("page failed", "request_id", id, "path", c.FullPath(), "err", err)
	s.errorPage(c, http.StatusInternalServerError, "出错了", "服务器处理请求时出错，请稍后重试。", "请求编号 "+id)
}

// noRoute answers unknown paths: a page for browsers, the API's JSON error
// for /api/ and for clients that do not ask for HTML.
func (s *Server) noRoute(c *gin.Context) {
	if !strings.HasPrefix(c.Request.URL.Path, "/api/") && strings.Contains(c.GetHeader("Accept"), "text/html") {
		s.errorPage(c, http.StatusNotFound, "找不到页面", "这个地址没有内容，可以在上方搜索，或回到首页。", "",
			link{Label: "返回首页", URL: "/"})
		return
	}
	apiError(c, http.StatusNotFound, "not_found", "no such page: "+c.Request.URL.Path)
}

// exampleQueries are shown on the home page and after a fruitless search:
// real questions the corpus answers.
var exampleQueries = []string{"医保卡跨省", "异地就医备案", "医保个人账户", "家庭共济", "生育保险报销"}

type homePage struct {
	layout
	Examples  []link
	Topics    []link
	Provinces []link
}

func (s *Server) homePage(c *gin.Context) {
	p := homePage{layout: s.newLayout("", "")}
	p.Form.Autofocus = true
	for _, q := range exampleQueries {
		p.Examples = append(p.Examples, link{Label: q, URL: pageQuery{Q: q}.url()})
	}
	// Popular values are a convenience: without them the page still works.
	f, err := s.s.AllFacets(c.Request.Context())
	if err != nil {
		s.log.Warn("home page facets", "request_id", c.GetString(ctxRequestID), "err", err)
	}
	for i, v := range f.Topic {
		if i == 12 {
			break
		}
		p.Topics = append(p.Topics, link{Label: v.Value, URL: pageQuery{Topics: []string{v.Value}}.url(), Count: v.Count})
	}
	for i, v := range f.Province {
		if i == 16 {
			break
		}
		p.Provinces = append(p.Provinces, link{Label: v.Value, URL: pageQuery{Provinces: []string{v.Value}}.url(), Count: v.Count})
	}
	s.render(c, http.StatusOK, "home", p)
}
