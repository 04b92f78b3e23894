package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestTraceLogHandler(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	for _, tc := range []struct {
		name string
		ctx  context.Context
		with func(*slog.Logger) *slog.Logger
		want string // "" for no trace attributes
	}{
		{"traced", traced, nil, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"},
		{"with attrs", traced, func(l *slog.Logger) *slog.Logger { return l.With("a", 1) },
			"a=1 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"},
		{"in a group", traced, func(l *slog.Logger) *slog.Logger { return l.WithGroup("g") },
			"g.trace_id=4bf92f3577b34da6a3ce929d0e0e4736 g.span_id=00f067aa0ba902b7"},
		{"empty group", traced, func(l *slog.Logger) *slog.Logger { return l.WithGroup("") },
			"trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7"},
		{"no span", context.Background(), nil, ""},
		{"no context", nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(traceLogHandler{slog.NewTextHandler(&buf, nil)})
			if tc.with != nil {
				l = tc.with(l)
			}
			l.Log(tc.ctx, slog.LevelInfo, "m")
			got := buf.String()
			if tc.want == "" {
				if strings.Contains(got, "trace_id") || strings.Contains(got, "span_id") {
					t.Errorf("got %q, want no trace attributes", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if h := (traceLogHandler{slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})}); h.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("Enabled(Info) under a Warn handler")
	}
}
