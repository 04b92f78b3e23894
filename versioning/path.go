package versioning

import (
	"context"
	"strings"
)

// Path returns p, an absolute path (a query may follow) as the handler
// sees paths, in the version of the request whose context is ctx, as that
// request's client must see it. Use it for the URLs a handler sends back,
// such as Location and Content-Location, so that a client of version 1
// is pointed at /v1/... and not at the newest version the handler is
// written for:
//
//	w.Header().Set("Location", versioning.Path(r.Context(), "/api/v2/items/"+id))
//
// When the request named its version in the path (SourcePath):
//
//   - a p that starts with a versioned prefix (Config.PathTemplate and a
//     registered version, such as /api/v2/items/7) gets the request's
//     version in it instead (/api/v1/items/7), whatever the PathMode;
//   - with PathMode StripPath, an unversioned p (/items/7, as the handler
//     sees the path) gets the request's versioned prefix (/api/v1/items/7);
//   - any other p is returned as it is.
//
// When the version came from a header, the media type or the default, the
// client's paths carry no version and p is returned as it is; so it is
// for a context the Versioner's Handler did not make (NewContext), and
// for a p that does not start with "/". Path is safe for concurrent use.
func Path(ctx context.Context, p string) string {
	cur, src := fromContext(ctx)
	if cur == nil || cur.owner == nil || src != SourcePath || !strings.HasPrefix(p, "/") {
		return p
	}
	v := cur.owner
	path := p
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		path = p[:i]
	}
	if ver, _, end := v.fromPath(path); ver != nil {
		if ver == cur {
			return p
		}
		return p[:len(v.pathPrefix)] + cur.Name + p[end:]
	}
	if v.pathMode == StripPath {
		return v.pathPrefix + cur.Name + p
	}
	return p
}
