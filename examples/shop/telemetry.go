package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/felixge/httpsnoop"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/restwell/restwell/observe"
	rwotel "github.com/restwell/restwell/otel"
	"github.com/restwell/restwell/requestid"
)

// metricsPath is where the Prometheus exposition is served.
const metricsPath = "/metrics"

// Telemetry is what -metrics turns on: OpenTelemetry metrics of every
// middleware decision and of every request, and a server span per request
// whose trace id and span id every log record about the request carries.
//
// Exported by Prometheus (the default), the metrics are served at
// /metrics, on the API's listener, outside the middleware: neither rate
// limited, nor logged, nor authenticated. Expose that path only where
// the scrapers are (a firewall or the load balancer's rules), never to
// the internet. Exported by OTLP/HTTP, there is no /metrics.
//
// A Telemetry is safe for concurrent use. Shutdown flushes and stops it.
type Telemetry struct {
	meters   *sdkmetric.MeterProvider
	tracers  *sdktrace.TracerProvider
	tracer   trace.Tracer
	observer *rwotel.Observer
	prop     propagation.TextMapPropagator
	requests metric.Float64Histogram
	scrape   http.Handler // nil when exporting by OTLP
}

// TelemetryConfig configures NewTelemetry.
type TelemetryConfig struct {
	// OTLPEndpoint, when set, exports metrics and spans by OTLP/HTTP
	// instead of serving /metrics. The exporters read the endpoint and
	// the rest of their settings (OTEL_EXPORTER_OTLP_HEADERS, ...) from
	// the standard OTEL_EXPORTER_OTLP_* environment variables; this
	// field only chooses OTLP over Prometheus.
	OTLPEndpoint string
}

// NewTelemetry builds the meter and tracer providers. The resource is
// service.name "shop", unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise.
//
// With Prometheus, spans are not exported: each request still gets a
// trace id (its caller's, from traceparent, or a new one) for the logs,
// but nothing is recorded. With OTLP, spans are sampled as
// OTEL_TRACES_SAMPLER says (by default: a new trace always, a continued
// one as its caller decided) and sent in batches.
func NewTelemetry(ctx context.Context, cfg TelemetryConfig) (*Telemetry, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "shop")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	t := &Telemetry{prop: propagation.TraceContext{}}
	if cfg.OTLPEndpoint != "" {
		me, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP metric exporter: %w", err)
		}
		te, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("OTLP trace exporter: %w", err), me.Shutdown(ctx))
		}
		t.meters = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))
		t.tracers = sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(te))
	} else {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		pe, err := promexporter.New(promexporter.WithRegisterer(reg))
		if err != nil {
			return nil, fmt.Errorf("prometheus exporter: %w", err)
		}
		t.scrape = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		t.meters = sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(pe))
		// Ids for the logs, nothing recorded: there is no one to send
		// spans to.
		t.tracers = sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	t.tracer = t.tracers.Tracer("github.com/restwell/restwell/examples/shop")
	if t.observer, err = rwotel.New(rwotel.Config{MeterProvider: t.meters}); err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	if t.requests, err = t.meters.Meter("github.com/restwell/restwell/examples/shop").Float64Histogram(
		"http.server.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP server requests."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)); err != nil {
		return nil, errors.Join(err, t.Shutdown(ctx))
	}
	return t, nil
}

// Observer returns the observer the middleware report to; nil for a
// nil Telemetry.
func (t *Telemetry) Observer() observe.Observer {
	if t == nil {
		return nil // an untyped nil: the middleware then report nothing
	}
	return t.observer
}

// logHandler returns next, adding "trace_id" and "span_id" to the
// records of traced requests; for a nil Telemetry, next itself.
func (t *Telemetry) logHandler(next slog.Handler) slog.Handler {
	if t == nil {
		return next
	}
	return traceLogHandler{next}
}

// Shutdown exports what is left (with OTLP) and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.tracers.Shutdown(ctx), t.meters.Shutdown(ctx))
}

// The methods below are no-ops on a nil Telemetry, which the Server
// has without -metrics.

// serve answers GET /metrics with the Prometheus exposition, when there
// is one, and hands every other request to api.
func (t *Telemetry) serve(api http.Handler) http.Handler {
	if t == nil || t.scrape == nil {
		return api
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == metricsPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			t.scrape.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// routeKey is the context key of the *string a route fills with its
// pattern, for the span and the request metric.
type routeKey struct{}

// traced opens a server span for each request, continuing the trace of
// an incoming traceparent (W3C Trace Context), and records the request's
// duration in http.server.request.duration. Both carry the method (one of
// the standard ones, else "_OTHER"), the route pattern once the router
// has matched one (route), and the status; the span also has the path
// (escaped, cut as in the access log) and the request id.
func (t *Telemetry) traced(next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		method := knownMethod(r.Method)
		name := method
		if method == "_OTHER" {
			name = "HTTP"
		}
		ctx := t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		recording := span.IsRecording() // false when not sampled, and always with Prometheus alone
		if recording {
			path := r.URL.EscapedPath()
			if len(path) > maxLoggedPath {
				path = path[:maxLoggedPath] + "..."
			}
			span.SetAttributes(
				attribute.String("url.path", path),
				attribute.StringSlice("http.response.header.x-request-id", []string{requestid.FromContext(ctx)}))
		}
		st := &served{}
		ctx = context.WithValue(ctx, routeKey{}, &st.route)
		ww := httpsnoop.Wrap(w, httpsnoop.Hooks{WriteHeader: st.writeHeader, Write: st.write})
		defer func() {
			if st.done && st.status == 0 {
				st.status = http.StatusOK // the handler wrote nothing
			}
			// A panic that got past Recover aborts the response: no
			// status reached the client.
			attrs := make([]attribute.KeyValue, 0, 4)
			attrs = append(attrs, attribute.String("http.request.method", method))
			if st.route != "" {
				attrs = append(attrs, attribute.String("http.route", st.route))
			}
			status := st.status
			switch {
			case status == 0:
				attrs = append(attrs, attribute.String("error.type", "aborted"))
			case status >= 500:
				attrs = append(attrs, attribute.Int("http.response.status_code", status), attribute.String("error.type", strconv.Itoa(status)))
			default:
				attrs = append(attrs, attribute.Int("http.response.status_code", status))
			}
			if recording {
				if status == 0 || status >= 500 {
					span.SetStatus(codes.Error, "")
				}
				span.SetAttributes(attrs...)
			}
			t.requests.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
		}()
		next.ServeHTTP(ww, r.WithContext(ctx))
		st.done = true
	})
}

// served is what traced learns of a request as it is served.
type served struct {
	status int    // the first final status written, 0 until then
	done   bool   // the handler returned
	route  string // the route pattern's path, set by Telemetry.route
}

func (st *served) writeHeader(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
	return func(code int) {
		if st.status == 0 && code >= 200 {
			st.status = code
		}
		next(code)
	}
}

func (st *served) write(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
	return func(b []byte) (int, error) {
		if st.status == 0 {
			st.status = http.StatusOK
		}
		return next(b)
	}
}

// route wraps the handler of pattern ("GET /api/v2/items/{id}") so that
// the request's span is named after it and its metric carries it.
func (t *Telemetry) route(pattern string, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	_, path, _ := cutMethod(pattern)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeKey{}).(*string); ok {
			*p = path
			if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
				span.SetName(pattern)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// cutMethod splits a ServeMux pattern "METHOD /path" in two.
func cutMethod(pattern string) (method, path string, ok bool) {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == ' ' {
			return pattern[:i], pattern[i+1:], true
		}
	}
	return "", pattern, false
}

// knownMethod returns m if it is a standard method, else "_OTHER": the
// method comes from the client and must not grow a metric's attributes.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
