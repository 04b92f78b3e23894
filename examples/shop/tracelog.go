package main

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Keys of the trace attributes of log records.
const (
	traceIDKey = "trace_id"
	spanIDKey  = "span_id"
)

// traceLogHandler is a slog.Handler that adds "trace_id" and "span_id"
// (32 and 16 hex digits, as in traceparent) to each record logged with the context of a traced request, then
// passes it on: wrapped around requestid's LogHandler, every record about
// a request names the request and its trace. A record without a context,
// or whose context has no span, gets nothing, so without -metrics the
// records are as they were. It is safe for concurrent use if the wrapped
// handler is.
type traceLogHandler struct{ next slog.Handler }

func (h traceLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h traceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			r = r.Clone() // the caller may hand r to other handlers too
			r.AddAttrs(slog.String(traceIDKey, sc.TraceID().String()), slog.String(spanIDKey, sc.SpanID().String()))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.next.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return traceLogHandler{h.next.WithGroup(name)}
}
