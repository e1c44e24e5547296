package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"time"

	"github.com/gin-gonic/gin"
)

// embedFiles are what another website includes to embed the search box
// (docs/embedding.md), and the example page that shows it working.
//
//go:embed embed/example.html embed/search.js embed/search.css
var embedFiles embed.FS

// embedAsset is one embedded file with the validator that lets browsers
// and proxies revalidate it cheaply.
type embedAsset struct {
	name string
	data []byte
	etag string
}

func mustEmbedAsset(name string) embedAsset {
	data, err := embedFiles.ReadFile("embed/" + name)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(data)
	return embedAsset{name: name, data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

var (
	embedExamplePage = mustEmbedAsset("example.html")
	embedScript      = mustEmbedAsset("search.js")
	embedStyles      = mustEmbedAsset("search.css")
)

// registerEmbed adds the files other sites link to and the example page.
// They are fixed routes rather than a directory: the URLs are a public
// interface that embedding sites hard-code, so each one is deliberate.
func (s *Server) registerEmbed(r *gin.Engine) {
	// Other sites cannot add ?v= cache busters to their copy of the
	// snippet, so the script and styles are cached for an hour only and
	// revalidated by ETag after that.
	r.GET("/embed/search.js", embedScript.handler("public, max-age=3600"))
	r.GET("/embed/search.css", embedStyles.handler("public, max-age=3600"))
	r.GET("/embed/example", embedExamplePage.handler("public, max-age=300"))
}

func (a embedAsset) handler(cacheControl string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Cache-Control", cacheControl)
		h.Set("ETag", a.etag)
		// ServeContent picks the type from the name, answers If-None-Match
		// with 304 and handles HEAD and ranges.
		http.ServeContent(c.Writer, c.Request, path.Base(a.name), time.Time{}, bytes.NewReader(a.data))
	}
}
