package main

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/restwell/restwell/etag"
)

var (
	// openapiJSON is the OpenAPI 3.1 description of the service, served
	// at /openapi.json and rendered at /docs.
	//
	//go:embed openapi.json
	openapiJSON []byte
	openapiTag  = etag.Of(openapiJSON)
)

// serveOpenAPI serves GET /openapi.json.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Add("Link", apiCatalogLink)
	return s.serveStatic(w, r, "application/json", openapiJSON, openapiTag)
}

// serveDocs serves GET /docs, openapi.json rendered as a self-contained
// HTML page (renderDocs).
func (s *Server) serveDocs(w http.ResponseWriter, r *http.Request) error {
	w.Header().Add("Link", apiCatalogLink)
	return s.serveStatic(w, r, "text/html; charset=utf-8", s.docs, s.docsTag)
}

// serveStatic serves an embedded file with a strong ETag, revalidated on
// every use (the file changes only with a new build). Its 304s go
// through the item middleware's Respond, so they reach the observer like
// every other.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request, ctype string, body []byte, tag string) error {
	h := w.Header()
	h.Set("Cache-Control", "public, no-cache")
	if s.tags.Respond(w, r, etag.Validators{ETag: tag}) {
		return nil
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(body)
	return err
}
