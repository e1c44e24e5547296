// Package web serves the search engine over HTTP with gin: the JSON API
// (api.go: /api/search, /api/hints, /api/articles/:id, /api/suggest,
// /api/facets; admin.go: the reindex endpoint; openapi.go: its OpenAPI
// description at /api/openapi.json), health and readiness probes,
// Prometheus metrics (metrics.go), the server-rendered pages — the layout,
// home and error pages (pages.go), the search page (searchpage.go, its
// links' state in urlstate.go), the article page (articlepage.go), static
// files with content-hashed URLs (assets.go) — and the embeddable
// search-box example under /embed/ (embed.go). Pages, static files and the
// OpenAPI document are embedded in the binary.
//
// Handlers depend on the small Searcher interface, not on the engine, so
// they can be tested with a real index or a fake alike. What a page shows
// beyond one search (hints for a search that finds nothing) comes from the
// engine in one call, like the API's.
package web
