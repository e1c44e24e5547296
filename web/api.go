package web

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"healthsearch/search"
)

func (s *Server) apiSearch(c *gin.Context) {
	req, err := search.ParseRequest(c.Request.URL.Query())
	if err != nil {
		badRequest(c, err)
		return
	}
	res, err := s.s.Search(c.Request.Context(), req)
	if err != nil {
		s.searchError(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// searchError answers a failed search: 400 for the request's fault, else
// the internal error (a timeout among them).
func (s *Server) searchError(c *gin.Context, err error) {
	var re *search.RequestError
	if errors.As(err, &re) {
		badRequest(c, err)
		return
	}
	s.internalError(c, err)
}

// apiHints answers what a search that found nothing can try instead: the
// same parameters as /api/search.
func (s *Server) apiHints(c *gin.Context) {
	req, err := search.ParseRequest(c.Request.URL.Query())
	if err != nil {
		badRequest(c, err)
		return
	}
	h, err := s.s.Hints(c.Request.Context(), req)
	if err != nil {
		s.searchError(c, err)
		return
	}
	c.JSON(http.StatusOK, h)
}

func badRequest(c *gin.Context, err error) {
	apiError(c, http.StatusBadRequest, "bad_request", err.Error())
}

func (s *Server) apiDocument(c *gin.Context) {
	doc, err := s.s.Document(c.Request.Context(), c.Param("id"))
	if errors.Is(err, search.ErrNotFound) {
		apiError(c, http.StatusNotFound, "not_found", "no document with id "+strconv.Quote(c.Param("id")))
		return
	}
	if err != nil {
		s.internalError(c, err)
		return
	}
	c.JSON(http.StatusOK, doc)
}

const (
	defaultSuggestions = 8
	maxSuggestions     = 20
	maxPrefixRunes     = 50
)

func (s *Server) apiSuggest(c *gin.Context) {
	q := c.Query("q")
	if !utf8.ValidString(q) {
		badRequest(c, &search.RequestError{Param: "q", Message: "is not valid UTF-8"})
		return
	}
	if n := utf8.RuneCountInString(q); n > maxPrefixRunes {
		badRequest(c, &search.RequestError{Param: "q", Message: "is too long for a suggestion prefix"})
		return
	}
	n := defaultSuggestions
	if v := c.Query("size"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSuggestions {
			badRequest(c, &search.RequestError{Param: "size", Message: "must be a number from 1 to " + strconv.Itoa(maxSuggestions)})
			return
		}
	}
	sug, err := s.s.Suggest(c.Request.Context(), q, n)
	if err != nil {
		s.internalError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"query": q, "suggestions": sug})
}

func (s *Server) apiFacets(c *gin.Context) {
	f, err := s.s.AllFacets(c.Request.Context())
	if err != nil {
		s.internalError(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}
