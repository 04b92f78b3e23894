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
	// SuccessorURL is the URL (absolute, or relative to the request) of
	// the endpoint that replaces this one, linked with
	// rel="successor-version" and named in 410 responses. Empty means
	// none. (Version.Successor, by contrast, names a version.)
	SuccessorURL string
}

// A Deprecator marks the responses of one route as deprecated, with the
// same Deprecation, Sunset and Link headers a deprecated version gets,
// counts its callers in Usage, and answers 410 after the sunset when
// Config.AfterSunset is Gone. Inside a deprecated version, the earlier
// deprecation and sunset times win and both sets of links are sent.
//
// Build one with Versioner.Deprecate. A Deprecator is safe for concurrent
// use by multiple goroutines.
type Deprecator struct {
	v    *Versioner
	name string
	url  string // Route.SuccessorURL
	succ string // its Link value, "" without one
	d    *deprecation
	only []*version
	hook func(int, http.Header) bool
}

// Deprecate returns a Deprecator for the route rt, or an error when rt
// has neither time, an invalid date order or URL, or names a version the
// Versioner does not serve.
//
//	dep, err := v.Deprecate(versioning.Route{Deprecated: t, SuccessorURL: "/v2/orders/search"})
//	if err != nil { ... }
//	mux.Handle("GET /v2/orders/find", dep.Handler(findOrders))
func (v *Versioner) Deprecate(rt Route) (*Deprecator, error) {
	if rt.Deprecated.IsZero() && rt.Sunset.IsZero() {
		return nil, errors.New("versioning: Route needs a Deprecated or Sunset time")
	}
	d, err := newDeprecation(rt.Deprecated, rt.Sunset, rt.Doc, rt.SunsetPolicy)
	if err != nil {
		return nil, errors.New("versioning: route: " + err.Error())
	}
	dp := &Deprecator{v: v, name: rt.Name, url: rt.SuccessorURL, d: d}
	if rt.SuccessorURL != "" {
		if !validURIRef(rt.SuccessorURL) {
			return nil, errors.New("versioning: route: invalid successor URL " + quote(rt.SuccessorURL))
		}
		dp.succ = string(appendLink(nil, rt.SuccessorURL, "successor-version", ""))
	}
	for _, name := range rt.Versions {
		ver := v.lookup(name)
		if ver == nil {
			return nil, errors.New("versioning: route: unknown version " + quote(name))
		}
		dp.only = append(dp.only, ver)
	}
	dp.hook = func(_ int, h http.Header) bool {
		d.apply(h, dp.succ)
		return false
	}
	return dp, nil
}

// Handler returns next with the route's deprecation applied. It works
// with or without the Versioner's Handler in front; without it, the
// request has no version and only a Route without Versions applies.
func (dp *Deprecator) Handler(next http.Handler) http.Handler {
	v, d := dp.v, dp.d
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := ""
		if ver, _ := fromContext(r.Context()); ver != nil {
			name = ver.Name
		}
		if dp.only != nil && !containsVersion(dp.only, name) {
			next.ServeHTTP(w, r)
			return
		}
		label := dp.name
		if label == "" {
			label = r.Pattern
		}
		if label == "" {
			label = "unnamed"
		}
		v.track(r, name, label, d)
		v.observeDeprecated(r.Context(), name, label, d)
		if v.afterSunset == Gone && d.retired(v.now()) {
			d.apply(w.Header(), dp.succ)
			v.errh(w, r, v.routeGone(d, dp.url))
			return
		}
		cw, rw := capture.Get(w, capture.Hold, 0)
		cw.HoldIf = dp.hook
		cw.Logger = v.log
		next.ServeHTTP(rw, r)
		cw.Detach()
		if !cw.Started() {
			d.apply(w.Header(), dp.succ)
		}
		capture.Put(cw)
	})
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
