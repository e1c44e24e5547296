package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"healthsearch/indexer"
)

// Reindexer starts index rebuilds in the background and reports on them.
type Reindexer interface {
	Start(ctx context.Context) error
	Status() indexer.BuildStatus
}

// registerAdmin adds the admin routes. They exist only when a token is
// configured, so a server without one has no admin surface at all.
func (s *Server) registerAdmin(api *gin.RouterGroup) {
	if s.opts.AdminToken == "" || s.opts.Reindexer == nil {
		return
	}
	admin := api.Group("/admin", s.requireToken)
	admin.POST("/reindex", s.startReindex)
	admin.GET("/reindex", func(c *gin.Context) { c.JSON(http.StatusOK, s.opts.Reindexer.Status()) })
}

// requireToken checks the bearer token. Both sides are hashed first so the
// constant-time compare also hides the token's length.
func (s *Server) requireToken(c *gin.Context) {
	auth := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	want := sha256.Sum256([]byte(s.opts.AdminToken))
	got := sha256.Sum256([]byte(token))
	if !ok || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="healthsearch admin"`)
		apiError(c, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
		return
	}
	c.Next()
}

func (s *Server) startReindex(c *gin.Context) {
	// The build outlives the request: it runs under the server's context.
	err := s.opts.Reindexer.Start(s.opts.BaseContext)
	if errors.Is(err, indexer.ErrBuildRunning) {
		apiError(c, http.StatusConflict, "busy", "a build is already running")
		return
	}
	if err != nil {
		s.internalError(c, err)
		return
	}
	c.JSON(http.StatusAccepted, s.opts.Reindexer.Status())
}
