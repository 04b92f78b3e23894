package versioning

import (
	"errors"
	"net/http"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
)

// Route describes the deprecation of one endpoint, in a version that is
// otherwise current (or in every version).
type Route struct {
	// Name identifies the route in Usage and the log. Empty means the
	// pattern http.ServeMux matched (r.Pattern), or "unnamed" without one.
	Name string
	// Versions limits the deprecation to requests of these versions. Nil
	// means every version, and requests that did not come through the
	// Versioner's Handler.
	Versions []string
	// Deprecated is when the route was, or will be, deprecated
	// (Deprecation header, RFC 9745). Deprecated or Sunset is required.
	Deprecated time.Time
	// Sunset is when the route stops being served (Sunset header, RFC
	// 8594); not earlier than Deprecated. After it, Config.AfterSunset
	// applies. Zero means no date.
	Sunset time.Time
	// Doc is the URL of a page about the deprecation, linked with
	// rel="deprecation". Empty means no link.
	Doc string
	// SunsetPolicy is the URL of the sunset policy, linked with
	// rel="sunset". Empty means no link.
	SunsetPolicy string
	// Successor is the URL (absolute, or relative to the request) of the
	// endpoint that replaces this one, linked with
	// rel="successor-version" and named in 410 responses. Empty means
	// none.
	Successor string
}

// Deprecate returns middleware that marks the responses of one route as
// deprecated, with the same Deprecation, Sunset and Link headers a
// deprecated version gets, counts its callers in Usage, and answers 410
// after the sunset when Config.AfterSunset is Gone. Inside a deprecated
// version, the earlier deprecation and sunset times win and both sets of
// links are sent.
//
//	dep, err := v.Deprecate(versioning.Route{Deprecated: t, Successor: "/v2/orders/search"})
//	if err != nil { ... }
//	mux.Handle("GET /v2/orders/find", dep(findOrders))
//
// The returned middleware is safe for concurrent use.
func (v *Versioner) Deprecate(rt Route) (func(http.Handler) http.Handler, error) {
	if rt.Deprecated.IsZero() && rt.Sunset.IsZero() {
		return nil, errors.New("versioning: Route needs a Deprecated or Sunset time")
	}
	d, err := newDeprecation(rt.Deprecated, rt.Sunset, rt.Doc, rt.SunsetPolicy)
	if err != nil {
		return nil, errors.New("versioning: route: " + err.Error())
	}
	succ := ""
	if rt.Successor != "" {
		if !validURIRef(rt.Successor) {
			return nil, errors.New("versioning: route: invalid successor URL " + quote(rt.Successor))
		}
		succ = string(appendLink(nil, rt.Successor, "successor-version", ""))
	}
	var only []*version
	for _, name := range rt.Versions {
		ver := v.lookup(name)
		if ver == nil {
			return nil, errors.New("versioning: route: unknown version " + quote(name))
		}
		only = append(only, ver)
	}
	hook := func(_ int, h http.Header) bool {
		d.apply(h, succ)
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := ""
			if ver, _ := fromContext(r.Context()); ver != nil {
				name = ver.Name
			}
			if only != nil && !containsVersion(only, name) {
				next.ServeHTTP(w, r)
				return
			}
			label := rt.Name
			if label == "" {
				label = r.Pattern
			}
			if label == "" {
				label = "unnamed"
			}
			v.track(r, name, label, d)
			v.observeDeprecated(r.Context(), name, label, d)
			if v.afterSunset == Gone && d.retired(v.now()) {
				d.apply(w.Header(), succ)
				v.errh(w, r, v.routeGone(d, rt.Successor))
				return
			}
			cw, rw := capture.Get(w, capture.Hold, 0)
			cw.HoldIf = hook
			cw.Logger = v.log
			next.ServeHTTP(rw, r)
			cw.Detach()
			if !cw.Started() {
				d.apply(w.Header(), succ)
			}
			capture.Put(cw)
		})
	}, nil
}

func containsVersion(vs []*version, name string) bool {
	for _, ver := range vs {
		if ver.Name == name {
			return true
		}
	}
	return false
}

// routeGone is the 410 for a retired route.
func (v *Versioner) routeGone(d *deprecation, successor string) *apierrors.Error {
	msg := "this endpoint was retired on " + d.sunsetVal
	ext := map[string]any{"sunset": d.sunsetVal}
	if successor != "" {
		msg += "; use " + successor
		ext["successor"] = successor
	}
	return &apierrors.Error{Status: http.StatusGone, Code: "sunset", Message: msg, Extensions: ext, Err: ErrSunset}
}
