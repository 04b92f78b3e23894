package otel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
	rwotel "github.com/restwell/restwell/otel"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/versioning"
)

// setup returns an Observer reading into a manual reader, and a tracer
// whose spans a recorder keeps.
func setup(t *testing.T) (*rwotel.Observer, *sdkmetric.ManualReader, *sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := rwotel.New(rwotel.Config{MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	return obs, reader, tp, sr
}

// decisions returns the restwell.decisions points as attribute set
// strings mapped to their counts, and the store.duration points as sets
// mapped to their counts.
func collect(t *testing.T, reader *sdkmetric.ManualReader) (decisions, store map[string]int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	decisions, store = map[string]int64{}, map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != rwotel.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, rwotel.ScopeName)
		}
		for _, m := range sm.Metrics {
			switch m.Name {
			case "restwell.decisions":
				for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
					decisions[p.Attributes.Encoded(attribute.DefaultEncoder())] += p.Value
				}
			case "restwell.store.duration":
				for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					store[p.Attributes.Encoded(attribute.DefaultEncoder())] += int64(p.Count)
					if p.Sum <= 0 {
						t.Errorf("store duration sum %v, want > 0", p.Sum)
					}
				}
			default:
				t.Errorf("unexpected metric %q", m.Name)
			}
		}
	}
	return decisions, store
}

func equal(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
	}
}

func TestMetricsPerMiddleware(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	for _, tt := range []struct {
		name      string
		build     func(*rwotel.Observer) http.Handler
		requests  func() []*http.Request
		decisions map[string]int64
		store     map[string]int64
		spanEvent int
	}{
		{
			name: "ratelimit",
			build: func(o *rwotel.Observer) http.Handler {
				l, err := ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "burst", Limit: 1, Window: time.Hour}}, Observer: o})
				if err != nil {
					t.Fatal(err)
				}
				return l.Handler(ok)
			},
			requests: func() []*http.Request {
				return []*http.Request{httptest.NewRequest("GET", "/", nil), httptest.NewRequest("GET", "/", nil)}
			},
			decisions: map[string]int64{
				"restwell.outcome=allowed,restwell.package=ratelimit,restwell.policy=burst":                               1,
				"http.response.status_code=429,restwell.outcome=limited,restwell.package=ratelimit,restwell.policy=burst": 1,
			},
			store: map[string]int64{
				"restwell.op=take,restwell.outcome=allowed,restwell.package=ratelimit": 1,
				"restwell.op=take,restwell.outcome=limited,restwell.package=ratelimit": 1,
			},
			spanEvent: 2,
		},
		{
			name: "idempotency",
			build: func(o *rwotel.Observer) http.Handler {
				m, err := idempotency.New(idempotency.Config{Observer: o})
				if err != nil {
					t.Fatal(err)
				}
				return m.Handler(ok)
			},
			requests: func() []*http.Request {
				var rs []*http.Request
				for range 2 {
					r := httptest.NewRequest("POST", "/", nil)
					r.Header.Set("Idempotency-Key", "k1")
					rs = append(rs, r)
				}
				return rs
			},
			decisions: map[string]int64{
				"restwell.outcome=acquired,restwell.package=idempotency":                               1,
				"http.response.status_code=201,restwell.outcome=stored,restwell.package=idempotency":   1,
				"http.response.status_code=201,restwell.outcome=replayed,restwell.package=idempotency": 1,
			},
			store: map[string]int64{
				"restwell.op=acquire,restwell.outcome=acquired,restwell.package=idempotency": 1,
				"restwell.op=complete,restwell.outcome=stored,restwell.package=idempotency":  1,
				"restwell.op=acquire,restwell.outcome=replayed,restwell.package=idempotency": 1,
			},
			spanEvent: 3,
		},
		{
			name: "etag",
			build: func(o *rwotel.Observer) http.Handler {
				m, err := etag.New(etag.Config{Observer: o,
					Validators: func(*http.Request) (etag.Validators, error) { return etag.Validators{ETag: `"v1"`}, nil }})
				if err != nil {
					t.Fatal(err)
				}
				return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }))
			},
			requests: func() []*http.Request {
				get := httptest.NewRequest("GET", "/", nil)
				get.Header.Set("If-None-Match", `"v1"`)
				put := httptest.NewRequest("PUT", "/", nil)
				put.Header.Set("If-Match", `"v0"`)
				return []*http.Request{get, put}
			},
			decisions: map[string]int64{
				"http.response.status_code=304,restwell.outcome=not_modified,restwell.package=etag,restwell.reason=If-None-Match":   1,
				"http.response.status_code=412,restwell.outcome=precondition_failed,restwell.package=etag,restwell.reason=If-Match": 1,
			},
			store:     map[string]int64{},
			spanEvent: 2,
		},
		{
			name: "versioning",
			build: func(o *rwotel.Observer) http.Handler {
				v, err := versioning.New(versioning.Config{Observer: o, Default: "2",
					Versions: []versioning.Version{{Name: "1", Deprecated: time.Unix(1, 0)}, {Name: "2"}}})
				if err != nil {
					t.Fatal(err)
				}
				return v.Handler(ok)
			},
			requests: func() []*http.Request {
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("Api-Version", "1")
				bad := httptest.NewRequest("GET", "/", nil)
				bad.Header.Set("Api-Version", "secret-client-value")
				return []*http.Request{r, bad}
			},
			decisions: map[string]int64{
				"restwell.outcome=deprecated_version,restwell.package=versioning,restwell.version=1":             1,
				"http.response.status_code=400,restwell.outcome=unsupported_version,restwell.package=versioning": 1,
			},
			store:     map[string]int64{},
			spanEvent: 2,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obs, reader, tp, sr := setup(t)
			h := tt.build(obs)
			for _, r := range tt.requests() {
				ctx, span := tp.Tracer("test").Start(r.Context(), "request")
				h.ServeHTTP(httptest.NewRecorder(), r.WithContext(ctx))
				span.End()
			}
			d, s := collect(t, reader)
			equal(t, "restwell.decisions", d, tt.decisions)
			equal(t, "restwell.store.duration", s, tt.store)
			events := 0
			for _, span := range sr.Ended() {
				for _, ev := range span.Events() {
					if ev.Name != "restwell.decision" {
						t.Errorf("span event %q", ev.Name)
					}
					for _, kv := range ev.Attributes {
						if kv.Value.AsString() == "secret-client-value" {
							t.Errorf("client value in span attribute %s", kv.Key)
						}
					}
					events++
				}
			}
			if events != tt.spanEvent {
				t.Errorf("%d span events, want %d", events, tt.spanEvent)
			}
		})
	}
}
