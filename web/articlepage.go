package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"healthsearch/search"
)

// The article page.

type articlePage struct {
	layout
	Doc        *search.Document
	Paragraphs []string
	Places     []link
	Topics     []link
	Related    []relatedView
	Articles   []link
	SearchURL  string
}

type relatedView struct {
	search.DocRef
	SearchURL string
}

func (s *Server) articlePage(c *gin.Context) {
	id := c.Param("id")
	doc, err := s.s.Document(c.Request.Context(), id)
	if errors.Is(err, search.ErrNotFound) {
		if utf8.RuneCountInString(id) > 64 {
			id = string([]rune(id)[:64]) + "…"
		}
		s.errorPage(c, http.StatusNotFound, "找不到这篇内容", "没有编号为“"+id+"”的文章或推荐内容，它可能已在索引更新时移除。", "",
			link{Label: "返回首页", URL: "/"})
		return
	}
	if err != nil {
		s.pageFailure(c, err)
		return
	}
	p := articlePage{layout: s.newLayout(doc.Title, ""), Doc: doc, SearchURL: pageQuery{Q: doc.Title}.url()}
	for _, para := range doc.Body {
		if para = strings.TrimSpace(para); para != "" {
			p.Paragraphs = append(p.Paragraphs, para)
		}
	}
	if len(p.Paragraphs) == 0 && doc.Snippet != "" {
		p.Paragraphs = []string{doc.Snippet}
	}
	for _, v := range doc.Provinces {
		p.Places = append(p.Places, link{Label: v, URL: pageQuery{Provinces: []string{v}}.url()})
	}
	for _, v := range doc.Cities {
		p.Places = append(p.Places, link{Label: v, URL: pageQuery{Cities: []string{v}}.url()})
	}
	for _, v := range doc.Topics {
		p.Topics = append(p.Topics, link{Label: v, URL: pageQuery{Topics: []string{v}}.url()})
	}
	for _, r := range doc.Related {
		p.Related = append(p.Related, relatedView{DocRef: r, SearchURL: pageQuery{Q: r.Title}.url()})
	}
	for _, a := range doc.Articles {
		p.Articles = append(p.Articles, link{Label: a.Title, URL: a.URL})
	}
	s.render(c, http.StatusOK, "article", p)
}
