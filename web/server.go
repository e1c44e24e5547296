package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"healthsearch/search"
)

// Searcher is what the web layer needs from the search engine.
type Searcher interface {
	Search(ctx context.Context, req search.Request) (*search.Result, error)
	Document(ctx context.Context, id string) (*search.Document, error)
	Suggest(ctx context.Context, prefix string, n int) ([]search.Suggestion, error)
	// Hints are offered for a search that found nothing; their searches
	// are not user searches and are not observed as such.
	Hints(ctx context.Context, req search.Request) (*search.Hints, error)
	AllFacets(ctx context.Context) (search.Facets, error)
	Ready(ctx context.Context) error
}

// Options configure the HTTP handler.
type Options struct {
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// RequestTimeout bounds the work of one request; default 5 s.
	RequestTimeout time.Duration
	// LogQueries includes query text in request logs at info level. Off by
	// default: health questions are personal.
	LogQueries bool
	// AdminToken enables the admin API (bearer token); empty disables it.
	AdminToken string
	// Reindexer runs rebuilds for POST /api/admin/reindex.
	Reindexer Reindexer
	// BaseContext is the server's lifetime, for work that outlives a request.
	BaseContext context.Context
	// CORSOrigins may call the JSON API from browsers on other origins.
	CORSOrigins []string
	// Metrics receives request and search series and is served at
	// /metrics; nil creates one.
	Metrics *Metrics
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 5 * time.Second
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.BaseContext == nil {
		o.BaseContext = context.Background()
	}
}

// Server holds the handlers' dependencies.
type Server struct {
	s    Searcher
	opts Options
	log  *slog.Logger
}

// NewHandler returns the HTTP handler for the whole site.
func NewHandler(s Searcher, opts Options) http.Handler {
	opts.setDefaults()
	gin.SetMode(gin.ReleaseMode)
	srv := &Server{s: observed{Searcher: s, m: opts.Metrics}, opts: opts, log: opts.Logger}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(opts.Metrics.middleware, srv.requestID, srv.logRequests, srv.recoverJSON, securityHeaders, srv.deadline)
	r.NoRoute(srv.noRoute)
	r.NoMethod(func(c *gin.Context) {
		apiError(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed here")
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", srv.ready)
	r.GET("/metrics", gin.WrapH(opts.Metrics.handler()))
	api := r.Group("/api")
	if len(opts.CORSOrigins) > 0 {
		api.Use(cors.New(cors.Config{
			AllowOrigins:  opts.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodHead},
			AllowHeaders:  []string{"Accept", "Content-Type", "X-Request-ID"},
			ExposeHeaders: []string{"X-Request-ID"},
			MaxAge:        10 * time.Minute,
		}))
		// Preflights are answered by the CORS middleware; the route only
		// has to exist for it to run.
		api.OPTIONS("/*path", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	}
	srv.registerAdmin(api)
	api.GET("/search", srv.apiSearch)
	api.GET("/articles/:id", srv.apiDocument)
	api.GET("/suggest", srv.apiSuggest)
	api.GET("/hints", srv.apiHints)
	api.GET("/facets", srv.apiFacets)
	api.GET("/openapi.json", serveOpenAPI)
	srv.registerPages(r)
	srv.registerEmbed(r)
	return r
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the error and explains it.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func apiError(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// internalError logs err with the request id and answers a generic 500:
// internals are not for clients.
func (s *Server) internalError(c *gin.Context, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		apiError(c, http.StatusServiceUnavailable, "timeout", "the request took too long; try a narrower search")
		return
	}
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client went away (a closed tab, a superseded suggestion):
		// nobody reads the answer and no error of ours is to be logged.
		apiError(c, statusClientClosed, "canceled", "the client closed the request")
		return
	}
	s.log.Error("request failed", "request_id", c.GetString(ctxRequestID), "path", c.FullPath(), "err", err)
	apiError(c, http.StatusInternalServerError, "internal", "internal error (request "+c.GetString(ctxRequestID)+")")
}

const ctxRequestID = "request_id"

// statusClientClosed is nginx's code for a request the client abandoned; it
// keeps those apart from server errors in logs and metrics.
const statusClientClosed = 499

func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 64 || !printableASCII(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	attrs := []any{
		"method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"latency_ms", float64(time.Since(start).Microseconds()) / 1000, "request_id", c.GetString(ctxRequestID),
	}
	if s.opts.LogQueries {
		attrs = append(attrs, "query", c.Request.URL.RawQuery)
	}
	s.log.Info("request", attrs...)
	if !s.opts.LogQueries {
		s.log.Debug("request query", "request_id", c.GetString(ctxRequestID), "query", c.Request.URL.RawQuery)
	}
}

// recoverJSON turns a panic into a logged JSON 500, so no panic reaches a
// client as a dropped connection or a stack trace.
func (s *Server) recoverJSON(c *gin.Context) {
	defer func() {
		if rec := recover(); rec != nil {
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.log.Error("panic", "request_id", c.GetString(ctxRequestID), "path", c.Request.URL.Path, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				apiError(c, http.StatusInternalServerError, "internal", "internal error (request "+c.GetString(ctxRequestID)+")")
			} else {
				c.Abort()
			}
		}
	}()
	c.Next()
}

func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Next()
}

func (s *Server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

func (s *Server) ready(c *gin.Context) {
	if err := s.s.Ready(c.Request.Context()); err != nil {
		apiError(c, http.StatusServiceUnavailable, "not_ready", err.Error())
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
