package versioning

import (
	"net/http"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/httpsyntax"
)

// Result is the outcome of negotiation.
type Result struct {
	// Version is the name of the chosen version.
	Version string
	// Source is where it came from; SourceDefault when the request named
	// none.
	Source Source
}

// Negotiate returns the version r asks for, without serving it: the core
// of Handler, for code that routes or converts by itself. The error is the
// *errors.Error Handler would render: 404 or 400 with code
// "unsupported_version" (Err an *UnsupportedError), or 406 with code
// "not_acceptable" in strict mode (Err ErrNotAcceptable). Negotiate does
// not consider sunset times.
func (v *Versioner) Negotiate(r *http.Request) (Result, error) {
	ver, src, _, f := v.negotiate(r)
	if f.kind != failNone {
		return Result{}, v.failureError(f)
	}
	return Result{Version: ver.Name, Source: src}, nil
}

// failure describes a negotiation that failed, without allocating.
type failure struct {
	kind      uint8
	src       Source
	requested string // the version asked for, as sent (unchecked)
}

const (
	failNone uint8 = iota
	failUnsupported
	failSeveral // more than one version header
	failNotAcceptable
)

// negotiate finds the version of r. end is, for SourcePath, the length of
// the path prefix up to and including the version segment.
func (v *Versioner) negotiate(r *http.Request) (ver *version, src Source, end int, f failure) {
	var accOut acceptOutcome
	accDone := false
	for _, s := range v.sources {
		switch s {
		case SourcePath:
			var name string
			ver, name, end = v.fromPath(r.URL.Path)
			if ver == nil && name != "" {
				return nil, s, 0, failure{kind: failUnsupported, src: s, requested: name}
			}
		case SourceHeader:
			vals := r.Header[v.header]
			if len(vals) > 1 {
				return nil, s, 0, failure{kind: failSeveral, src: s}
			}
			if len(vals) == 1 {
				if name := httpsyntax.TrimOWS(vals[0]); name != "" {
					if ver = v.lookup(name); ver == nil {
						return nil, s, 0, failure{kind: failUnsupported, src: s, requested: name}
					}
				}
			}
		case SourceMediaType:
			var requested string
			accOut, ver, requested = v.fromAccept(r.Header["Accept"])
			accDone = true
			switch accOut {
			case acceptUnsupported:
				return nil, s, 0, failure{kind: failUnsupported, src: s, requested: requested}
			case acceptUnacceptable:
				if v.strict {
					return nil, s, 0, failure{kind: failNotAcceptable, src: s}
				}
			}
		}
		if ver != nil {
			src = s
			break
		}
	}
	if ver == nil {
		ver, src, end = v.def, SourceDefault, 0
	}
	if v.strict && src != SourceMediaType {
		if !accDone {
			accOut, _, _ = v.fromAccept(r.Header["Accept"])
		}
		if accOut == acceptUnacceptable || !v.acceptable(r.Header["Accept"], ver) {
			return nil, SourceMediaType, 0, failure{kind: failNotAcceptable, src: SourceMediaType}
		}
	}
	return ver, src, end, failure{}
}

// fromPath finds the version segment of path p. It returns the version
// and the prefix length up to the end of the segment; or, for a segment
// that looks like a version but is not one, its text in name; or nothing
// when p carries no version.
func (v *Versioner) fromPath(p string) (ver *version, name string, end int) {
	if !strings.HasPrefix(p, v.pathPrefix) {
		return nil, "", 0
	}
	rest := p[len(v.pathPrefix):]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		i = len(rest)
	}
	seg := rest[:i]
	if ver = v.lookup(seg); ver != nil {
		return ver, "", len(v.pathPrefix) + i
	}
	if v.looksLikeVersion(seg) {
		return nil, seg, 0
	}
	return nil, "", 0
}

// lookup returns the registered version called name, or nil.
func (v *Versioner) lookup(name string) *version {
	if v.byName != nil {
		return v.byName[name]
	}
	for _, ver := range v.versions {
		if ver.Name == name {
			return ver
		}
	}
	return nil
}

// looksLikeVersion reports whether s has the shape of a registered version
// name (a number, or a date), so an unknown one is refused rather than
// taken for something else.
func (v *Versioner) looksLikeVersion(s string) bool {
	sh := shapeOf(s)
	return sh != shapeOther && v.shapes&(1<<sh) != 0
}

// failureError builds the error a failed negotiation is rendered with.
func (v *Versioner) failureError(f failure) *apierrors.Error {
	if f.kind == failNotAcceptable {
		return &apierrors.Error{
			Status:     http.StatusNotAcceptable,
			Code:       "not_acceptable",
			Message:    "no acceptable representation: this API serves application/json",
			Fields:     []apierrors.FieldError{apierrors.HeaderField("Accept", "must allow application/json in a supported version")},
			Extensions: map[string]any{"supported_versions": v.supported()},
			Err:        ErrNotAcceptable,
		}
	}
	ue := &UnsupportedError{Source: f.src, Supported: v.supported()}
	if validName(f.requested) {
		ue.Requested = f.requested
	}
	status := http.StatusBadRequest
	if f.src == SourcePath {
		status = http.StatusNotFound
	}
	msg := "the requested API version is not supported"
	if ue.Requested != "" {
		msg = "API version " + ue.Requested + " is not supported"
	}
	if f.kind == failSeveral {
		msg = "send the " + v.header + " header once"
	}
	detail := "supported versions: " + strings.Join(ue.Supported, ", ")
	e := &apierrors.Error{
		Status:     status,
		Code:       "unsupported_version",
		Message:    msg,
		Extensions: map[string]any{"supported_versions": ue.Supported},
		Err:        ue,
	}
	switch f.src {
	case SourceHeader:
		e.Fields = []apierrors.FieldError{apierrors.HeaderField(v.header, detail)}
	case SourceMediaType:
		e.Fields = []apierrors.FieldError{apierrors.HeaderField("Accept", detail)}
	default:
		e.Message += "; " + detail
	}
	return e
}

// supported lists the versions a client may ask for: all but those
// retired with AfterSunset Gone.
func (v *Versioner) supported() []string {
	now := v.now()
	out := make([]string, 0, len(v.versions))
	for _, ver := range v.versions {
		if v.afterSunset == Gone && ver.dep.retired(now) {
			continue
		}
		out = append(out, ver.Name)
	}
	return out
}
