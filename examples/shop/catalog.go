package main

import (
	"encoding/json"
	"net/http"

	"github.com/restwell/restwell/versioning"
)

// apiCatalogPath is the well-known URI of the API catalog (RFC 9727).
const apiCatalogPath = "/.well-known/api-catalog"

// apiCatalogLink is the Link field value that points at the catalog, sent
// with the catalog and with the API's descriptions (RFC 9727 section 3).
const apiCatalogLink = `<` + apiCatalogPath + `>; rel="api-catalog"`

// apiCatalogType is the catalog's media type: a JSON linkset (RFC 9264)
// with the profile RFC 9727 registers.
const apiCatalogType = `application/linkset+json; profile="https://www.rfc-editor.org/info/rfc9727"`

// catalogLink is one link target of a linkset (RFC 9264 section 4.2.4).
type catalogLink struct {
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// apiCatalog returns the API catalog: a linkset with one context per
// version, mounted at /api/v{name}, each linked to the OpenAPI document
// that describes it (service-desc) and the page that documents it
// (service-doc); a deprecated version also links to its deprecation
// notice and its successor. Targets are relative references, resolved
// against the catalog's own URL: the catalog is right behind any host
// name or proxy.
func apiCatalog(versions []versioning.Version) ([]byte, error) {
	type context map[string]any
	set := make([]context, 0, len(versions))
	for _, v := range versions {
		c := context{
			"anchor":       "/api/v" + v.Name,
			"service-desc": []catalogLink{{Href: "/openapi.json", Type: "application/json"}},
			"service-doc":  []catalogLink{{Href: "/docs", Type: "text/html"}},
		}
		if !v.Deprecated.IsZero() && v.Doc != "" {
			c["deprecation"] = []catalogLink{{Href: v.Doc, Type: "text/html"}}
		}
		if v.Successor != "" {
			c["successor-version"] = []catalogLink{{Href: "/api/v" + v.Successor}}
		}
		set = append(set, c)
	}
	return json.Marshal(map[string]any{"linkset": set})
}

// serveAPICatalog serves GET and HEAD /.well-known/api-catalog.
func (s *Server) serveAPICatalog(w http.ResponseWriter, r *http.Request) error {
	w.Header().Add("Link", apiCatalogLink)
	return s.serveStatic(w, r, apiCatalogType, s.catalog, s.catalogTag)
}
