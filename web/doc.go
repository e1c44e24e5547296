// Package web serves the search engine over HTTP with gin: the JSON API
// (/api/search, /api/articles/:id, /api/suggest, /api/facets, the admin
// reindex endpoint and its OpenAPI description at /api/openapi.json), health
// and readiness probes, Prometheus metrics, the server-rendered search and
// article pages, and the embeddable search-box example under /embed/. Pages,
// static files and the OpenAPI document are embedded in the binary.
//
// Handlers depend on the small Searcher interface, not on the engine, so
// they can be tested with a real index or a fake alike.
package web
