package otel

import (
	"context"
	stderrors "errors"
	"fmt"

	global "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/restwell/restwell/observe"
)

// ScopeName is the instrumentation scope of the meter.
const ScopeName = "github.com/restwell/restwell/otel"

// Config configures an Observer.
type Config struct {
	// MeterProvider creates the instruments. Nil means the global one
	// (go.opentelemetry.io/otel.GetMeterProvider).
	MeterProvider metric.MeterProvider
}

// An Observer records observe.Events as metrics and span events. It is
// safe for concurrent use by multiple goroutines.
type Observer struct {
	decisions metric.Int64Counter
	store     metric.Float64Histogram
}

// New returns an Observer whose instruments come from cfg.MeterProvider.
func New(cfg Config) (*Observer, error) {
	mp := cfg.MeterProvider
	if mp == nil {
		mp = global.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	d, err := m.Int64Counter("restwell.decisions", metric.WithUnit("{decision}"),
		metric.WithDescription("Decisions of the restwell middleware, by package and outcome."))
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	s, err := m.Float64Histogram("restwell.store.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the store calls of the restwell middleware."),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
	if err != nil {
		return nil, fmt.Errorf("otel: %w", err)
	}
	return &Observer{decisions: d, store: s}, nil
}

// Observe records e.
func (o *Observer) Observe(ctx context.Context, e observe.Event) {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, attribute.String("restwell.package", e.Package), attribute.String("restwell.outcome", e.Outcome))
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	add("restwell.reason", e.Reason)
	add("restwell.policy", e.Policy)
	add("restwell.version", e.Version)
	add("restwell.route", e.Route)
	if e.Status != 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", e.Status))
	}
	o.decisions.Add(ctx, 1, metric.WithAttributes(attrs...))
	if e.Op != "" {
		o.store.Record(ctx, e.Duration.Seconds(), metric.WithAttributes(
			attribute.String("restwell.package", e.Package), attribute.String("restwell.op", e.Op),
			attribute.String("restwell.outcome", e.Outcome)))
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if e.Op != "" {
		attrs = append(attrs, attribute.String("restwell.op", e.Op),
			attribute.Float64("restwell.store.duration_ms", float64(e.Duration)/1e6))
	}
	if e.Err != nil {
		attrs = append(attrs, attribute.String("error.type", errorType(e.Err)))
	}
	span.AddEvent("restwell.decision", trace.WithAttributes(attrs...))
}

// errorType names the kind of err without its text.
func errorType(err error) string {
	switch {
	case stderrors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case stderrors.Is(err, context.Canceled):
		return "canceled"
	}
	return fmt.Sprintf("%T", err)
}
