package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"
)

// The site's static assets, served with content-hashed URLs.

// staticAssets serves the embedded static files. Pages link them with
// ?v=<hash of all files>, so a versioned URL never changes content and can
// be cached for a year; an unversioned one is cached briefly.
type staticAssets struct {
	version string
	etags   map[string]string
	files   http.Handler
}

func mustLoadStatic(embedded embed.FS) *staticAssets {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err)
	}
	a := &staticAssets{etags: map[string]string{}, files: http.FileServer(http.FS(sub))}
	all := sha256.New()
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.etags["/"+p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		all.Write([]byte(p))
		all.Write(sum[:])
		return nil
	})
	if err != nil {
		panic(err)
	}
	a.version = hex.EncodeToString(all.Sum(nil)[:6])
	return a
}

func (a *staticAssets) serve(c *gin.Context) {
	name := path.Clean(c.Param("filepath"))
	etag, ok := a.etags[name]
	if !ok {
		// Also keeps http.FileServer from listing directories.
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	h := c.Writer.Header()
	if c.Query("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	// Embedded files have no modification time; the ETag lets
	// http.ServeContent answer revalidations with 304.
	h.Set("ETag", etag)
	req := c.Request.Clone(c.Request.Context())
	req.URL.Path = name
	a.files.ServeHTTP(c.Writer, req)
}
