// Package versioning lets one service serve several versions of its API:
// it negotiates the version of each request, tells clients of deprecated
// versions in standard headers that what they call is going away and what
// replaces it. Its subpackage convert converts bodies so handlers are
// written for the newest version only.
//
// # Negotiation
//
// A Versioner knows the versions the API serves, oldest first, and a
// default. A request names its version, in an order of precedence you
// choose, with
//
//   - a path prefix: /v2/items, /api/v2/items (Config.PathTemplate), the
//     prefix kept, stripped or rewritten to the newest version
//     (Config.PathMode);
//   - a header: Api-Version: 2, or a date, Api-Version: 2025-06-01;
//   - the Accept header: a vendor media type,
//     application/vnd.acme.v2+json, or a parameter, application/json;
//     version=2. Quality values count (q=0 excludes), as do wildcards and
//     +json suffixes; the best supported version named wins. With
//     Config.StrictAccept, an Accept header that allows no JSON answer
//     gets 406.
//
// The version is in the request context (FromContext, LogAttr) and in the
// Api-Version response header. An unsupported version gets 404 (path) or
// 400 (header, media type) with code "unsupported_version", the supported
// versions in the field errors and in a "supported_versions" member:
//
//	{"error": {"code": "unsupported_version", "message": "API version 9 is not supported",
//	  "details": {"Api-Version": ["supported versions: 1, 2"]}, "supported_versions": ["1", "2"]}}
//
// When the version may come from a header or Accept, every response,
// errors included, names them in Vary, merged with the values already
// there, so caches keep versions apart.
//
// # Deprecation
//
// Responses of a deprecated version carry
//
//	Deprecation: @1735689600                              (RFC 9745)
//	Sunset: Thu, 31 Dec 2026 23:59:59 GMT                 (RFC 8594)
//	Link: <https://api.example.com/docs/v1>; rel="deprecation"; type="text/html"
//	Link: <https://api.example.com/sunset>; rel="sunset"; type="text/html"
//	Link: </v2/items/1>; rel="successor-version"
//
// the links added to any the handler sets (pagination, say). After the
// sunset time a version is still served, or answered 410 Gone naming its
// successor (Config.AfterSunset). A Deprecator, from Deprecate, does the
// same for one route.
// Usage counts the calls to deprecated versions and routes per client
// (Config.ClientKey), and a warning is logged for each new caller.
//
// # Conversion
//
// Package convert describes, per version, what changed in the JSON bodies,
// and converts the bodies of older versions to and from the newest one;
// its Handler goes inside the Versioner's.
//
// # Usage
//
//	v, err := versioning.New(versioning.Config{
//		Versions: []versioning.Version{
//			{Name: "1", Deprecated: dep, Sunset: sunset, Successor: "2",
//				Doc: "https://api.example.com/docs/migrate-to-v2"},
//			{Name: "2"},
//		},
//		PathTemplate: "/api/v{version}",
//		PathMode:     versioning.RewritePath, // /api/v1/items is served by the /api/v2/items handler
//	})
//	if err != nil { ... }
//	http.ListenAndServe(addr, rd.Handler(requestid.Handler(v.Handler(mux))))
//
// and in a handler:
//
//	if versioning.FromContext(r.Context()) == "1" { ... }
//
// The middleware works alone around any handler. Used with the other
// middleware of this module it shares one per-request value with them,
// so that the whole stack copies each request once; it copies the request
// again only to change it, when PathMode rewrites the path.
//
// # Observing decisions
//
// Config.Observer receives an observe.Event (Package "versioning") for
// every request of a deprecated version, "deprecated_version" with its
// Version, or of a route marked by Deprecate, "deprecated_route" with its
// Route (and Version); past the sunset the outcome is "sunset" instead,
// with Status 410 when AfterSunset is Gone. A request naming a version
// the Versioner does not serve gets "unsupported_version" with the
// status of its refusal (400, 404, 406) and no Version, since the name
// came from the client. With no Observer nothing is built.
package versioning
