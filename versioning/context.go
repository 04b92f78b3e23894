package versioning

import (
	"context"
	"log/slog"

	"github.com/restwell/restwell/internal/reqstate"
)

// fromContext returns the version negotiated for the request whose
// context is ctx, and where it came from; nil when there is none. The
// middleware keeps both in the request's shared state (internal/reqstate),
// which also backs the response header values it sets.
func fromContext(ctx context.Context) (*version, Source) {
	if st := reqstate.From(ctx); st != nil {
		if ver, ok := st.Version.(*version); ok {
			return ver, Source(st.VersionSource)
		}
	}
	return nil, SourceDefault
}

// FromContext returns the name of the version negotiated for the request
// whose context is ctx, or "" when there is none.
func FromContext(ctx context.Context) string {
	if ver, _ := fromContext(ctx); ver != nil {
		return ver.Name
	}
	return ""
}

// SourceFromContext returns where the version of the request whose context
// is ctx came from. It returns SourceDefault when there is none.
func SourceFromContext(ctx context.Context) Source {
	_, src := fromContext(ctx)
	return src
}

// NewContext returns a copy of ctx carrying the version name, as the
// middleware would, for tests and for work that does not come through it.
// The version is not checked against any registry.
func NewContext(ctx context.Context, name string) context.Context {
	st := reqstate.New(ctx, reqstate.From(ctx))
	st.Version = &version{Version: Version{Name: name}}
	st.VersionSource = uint8(SourceDefault)
	return st
}

// LogAttr returns an attribute for a log record or an access log about
// the request whose context is ctx: a group "api_version" with the
// version's "name", its "source" and, when it is deprecated or has a
// sunset date, "deprecated": true. It returns an empty attribute, which
// slog omits, when ctx has no version.
//
//	logger.LogAttrs(ctx, slog.LevelInfo, "request", versioning.LogAttr(ctx))
func LogAttr(ctx context.Context) slog.Attr {
	ver, src := fromContext(ctx)
	if ver == nil {
		return slog.Attr{}
	}
	if ver.dep != nil {
		return slog.Group("api_version", slog.String("name", ver.Name), slog.String("source", src.String()), slog.Bool("deprecated", true))
	}
	return slog.Group("api_version", slog.String("name", ver.Name), slog.String("source", src.String()))
}
