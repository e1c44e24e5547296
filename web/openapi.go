package web

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes the JSON API. It is written by hand, because
// the handlers return the engine's own types and a generator would need
// annotations on them; openapi_test.go keeps it honest by validating real
// responses of every route against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI answers GET /api/openapi.json. It lives under /api/ so it
// gets the same CORS treatment as the API it describes: a tool on an
// allowed origin can read it.
func serveOpenAPI(c *gin.Context) {
	// Short caching: the document changes only with a new release.
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDocument)
}
