package versioning

import (
	"context"
	"log/slog"
	"net/url"
)

type ctxKey struct{}

// vctx is the request context the middleware passes on: the parent
// context plus the negotiated version. It also stores the header values
// of the response, so that negotiation costs one allocation besides the
// request copy. Its fields do not change once the request is passed on.
type vctx struct {
	context.Context
	ver  *version
	src  Source
	vals [2]string // the version header value and the Vary value
}

// urlCtx is a vctx that also holds the rewritten URL of the request, for
// PathMode StripPath and RewritePath.
type urlCtx struct {
	vctx
	url url.URL
}

// Value returns the vctx for ctxKey{}, else asks the parent.
func (c *urlCtx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return &c.vctx
	}
	return c.Context.Value(key)
}

// Value returns the vctx itself for ctxKey{}, else asks the parent.
func (c *vctx) Value(key any) any {
	if _, ok := key.(ctxKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func fromContext(ctx context.Context) *vctx {
	c, _ := ctx.Value(ctxKey{}).(*vctx)
	return c
}

// FromContext returns the name of the version negotiated for the request
// whose context is ctx, or "" when there is none.
func FromContext(ctx context.Context) string {
	if c := fromContext(ctx); c != nil {
		return c.ver.Name
	}
	return ""
}

// SourceFromContext returns where the version of the request whose context
// is ctx came from. It returns SourceDefault when there is none.
func SourceFromContext(ctx context.Context) Source {
	if c := fromContext(ctx); c != nil {
		return c.src
	}
	return SourceDefault
}

// NewContext returns a copy of ctx carrying the version name, as the
// middleware would, for tests and for work that does not come through it.
// The version is not checked against any registry.
func NewContext(ctx context.Context, name string) context.Context {
	return &vctx{Context: ctx, ver: &version{Version: Version{Name: name}}}
}

// LogAttr returns an attribute for a log record or an access log about
// the request whose context is ctx: a group "api_version" with the
// version's "name", its "source" and, when it is deprecated or has a
// sunset date, "deprecated": true. It returns an empty attribute, which
// slog omits, when ctx has no version.
//
//	logger.LogAttrs(ctx, slog.LevelInfo, "request", versioning.LogAttr(ctx))
func LogAttr(ctx context.Context) slog.Attr {
	c := fromContext(ctx)
	if c == nil {
		return slog.Attr{}
	}
	if c.ver.dep != nil {
		return slog.Group("api_version", slog.String("name", c.ver.Name), slog.String("source", c.src.String()), slog.Bool("deprecated", true))
	}
	return slog.Group("api_version", slog.String("name", c.ver.Name), slog.String("source", c.src.String()))
}
