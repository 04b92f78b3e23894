package requestid

import (
	"context"
	"log/slog"
)

// LogKey is the attribute key LogAttr and LogHandler use, and the one the
// errors package uses on its own log records.
const LogKey = "request_id"

// LogAttr returns the attribute "request_id" with the identifier in ctx,
// for a log record or an access log about the request. It returns an
// empty attribute, which slog omits, when ctx has none.
//
//	logger.LogAttrs(ctx, slog.LevelInfo, "order created", requestid.LogAttr(ctx))
func LogAttr(ctx context.Context) slog.Attr {
	id := FromContext(ctx)
	if id == "" {
		return slog.Attr{}
	}
	return slog.String(LogKey, id)
}

// LogHandler is a slog.Handler that adds the request identifier of each
// record's context (the ctx given to Logger.InfoContext, LogAttrs, ...) as
// "request_id", then passes the record to the handler it wraps:
//
//	logger := slog.New(requestid.NewLogHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(r.Context(), "order created") // ... "request_id":"0198c4d2-..."
//
// A record that already has a "request_id" attribute, such as those the
// errors package logs ("request failed", "handler failed after writing its
// response", "panic after the response started"), or a logger given one
// with With, is passed on unchanged, so no record carries it twice. The
// records of the other packages (idempotency, ratelimit, versioning) carry
// none of their own and get it here when they are about a request. A
// record logged without a context, or with one that has no identifier,
// gets nothing.
//
// The attribute is added to the record, so after WithGroup it is inside
// the open group, like the record's other attributes.
//
// A LogHandler is safe for concurrent use if the wrapped handler is.
type LogHandler struct {
	next slog.Handler
	has  bool // WithAttrs gave "request_id" in the group now open
}

// NewLogHandler returns a LogHandler wrapping next.
func NewLogHandler(next slog.Handler) *LogHandler {
	return &LogHandler{next: next}
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the request identifier to r, unless r or the logger already
// has one, and passes r to the wrapped handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil || h.has {
		return h.next.Handle(ctx, r)
	}
	id := FromContext(ctx)
	if id == "" {
		return h.next.Handle(ctx, r)
	}
	present := false
	r.Attrs(func(a slog.Attr) bool {
		present = a.Key == LogKey
		return !present
	})
	if !present {
		r = r.Clone() // the caller may hand r to other handlers too
		r.AddAttrs(slog.String(LogKey, id))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a LogHandler whose wrapped handler has attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	has := h.has
	for _, a := range attrs {
		if a.Key == LogKey {
			has = true
		}
	}
	return &LogHandler{next: h.next.WithAttrs(attrs), has: has}
}

// WithGroup returns a LogHandler whose wrapped handler has the group name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &LogHandler{next: h.next.WithGroup(name)}
}
