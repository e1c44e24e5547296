// Package web serves the search engine over HTTP with gin: the JSON API
// (/api/search, /api/articles/:id, /api/suggest, /api/facets), health and
// readiness probes, and the server-rendered search and article pages whose
// templates and static files are embedded in the binary.
//
// Handlers depend on the small Searcher interface, not on the engine, so
// they can be tested with a real index or a fake alike.
package web
