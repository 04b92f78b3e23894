package main

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
)

// newTelemetryShop starts a test shop with Telemetry exported by
// Prometheus.
func newTelemetryShop(t *testing.T, mod func(*Config)) *testShop {
	t.Helper()
	tel, err := NewTelemetry(context.Background(), TelemetryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return newTestShop(t, func(c *Config) {
		c.Telemetry = tel
		if mod != nil {
			mod(c)
		}
	})
}

// scrape fetches /metrics and parses it.
func (s *testShop) scrape() map[string]*dto.MetricFamily {
	s.t.Helper()
	res, err := s.client.Get(s.ts.URL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		s.t.Fatalf("GET /metrics: %d %s", res.StatusCode, b)
	}
	if got := res.Header.Get("RateLimit"); got != "" {
		s.t.Errorf("GET /metrics went through the rate limiter: RateLimit %q", got)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		s.t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// series returns the samples of family name (the counter's value, or a
// histogram's count) by their labels, written name="value",... in label
// order, leaving out the instrumentation scope labels.
func series(mfs map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	mf := mfs[name]
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		var ls []string
		for _, l := range m.GetLabel() {
			if strings.HasPrefix(l.GetName(), "otel_scope_") {
				continue
			}
			ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
		sort.Strings(ls)
		v := m.GetCounter().GetValue()
		if m.GetHistogram() != nil {
			v = float64(m.GetHistogram().GetSampleCount())
		}
		out[strings.Join(ls, ",")] += v
	}
	return out
}

func diffSeries(t *testing.T, name string, got, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s{%s} = %v (present %v), want %v", name, k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s{%s} = %v", name, k, g)
		}
	}
}

// The metrics an operator reads: each middleware decision counted once,
// by package and outcome, with only configured names as labels; and each
// request by route and status.
func TestMetrics(t *testing.T) {
	s := newTelemetryShop(t, func(c *Config) {
		c.OrderRate = ratelimit.Policy{Name: "orders", Limit: 2, Window: time.Hour}
	})
	item, tag := s.createItem("mug", 1200, "USD")
	id := idOf(t, item)
	wantStatus(t, "conditional GET", s.do("GET", "/api/v2/items/"+id, "", "If-None-Match", tag), http.StatusNotModified)
	wantError(t, "stale If-Match", s.do("PATCH", "/api/v2/items/"+id, `{"name":"cup"}`, "If-Match", `"stale"`), 412, "precondition_failed")
	const key = "5f0c1a9e-7d1b-4c55-9a53-0f7c2a1d9b11"
	order := `{"item_id":` + id + `,"quantity":1}`
	wantStatus(t, "order", s.do("POST", "/api/v2/orders", order, "Idempotency-Key", key), http.StatusCreated)
	again := s.do("POST", "/api/v2/orders", order, "Idempotency-Key", key)
	wantStatus(t, "retry", again, http.StatusCreated)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("the retry was not replayed")
	}
	wantError(t, "third order", s.do("POST", "/api/v2/orders", order, "Idempotency-Key", "another-key-7"), 429, "rate_limited")
	wantStatus(t, "version 1", s.do("GET", "/api/v1/items/"+id, ""), http.StatusOK)
	wantError(t, "a method of the client's own", s.do("BREW", "/api/v2/items", ""), 405, "method_not_allowed")

	mfs := s.scrape()
	diffSeries(t, "restwell_decisions_total", series(mfs, "restwell_decisions_total"), map[string]float64{
		`restwell_outcome="allowed",restwell_package="ratelimit",restwell_policy="default"`:                                         8,
		`restwell_outcome="allowed",restwell_package="ratelimit",restwell_policy="orders"`:                                          2,
		`http_response_status_code="429",restwell_outcome="limited",restwell_package="ratelimit",restwell_policy="orders"`:          1,
		`restwell_outcome="acquired",restwell_package="idempotency"`:                                                                1,
		`http_response_status_code="201",restwell_outcome="stored",restwell_package="idempotency"`:                                  1,
		`http_response_status_code="201",restwell_outcome="replayed",restwell_package="idempotency"`:                                1,
		`http_response_status_code="304",restwell_outcome="not_modified",restwell_package="etag",restwell_reason="If-None-Match"`:   1,
		`http_response_status_code="412",restwell_outcome="precondition_failed",restwell_package="etag",restwell_reason="If-Match"`: 1,
		`restwell_outcome="deprecated_version",restwell_package="versioning",restwell_version="1"`:                                  1,
	})
	diffSeries(t, "http_server_request_duration_seconds", series(mfs, "http_server_request_duration_seconds"), map[string]float64{
		`http_request_method="POST",http_response_status_code="201",http_route="/api/v2/items"`:       1,
		`http_request_method="GET",http_response_status_code="304",http_route="/api/v2/items/{id}"`:   1,
		`http_request_method="PATCH",http_response_status_code="412",http_route="/api/v2/items/{id}"`: 1,
		`http_request_method="POST",http_response_status_code="201",http_route="/api/v2/orders"`:      2,
		`http_request_method="POST",http_response_status_code="429",http_route="/api/v2/orders"`:      1,
		`http_request_method="GET",http_response_status_code="200",http_route="/api/v2/items/{id}"`:   1,
		`http_request_method="_OTHER",http_response_status_code="405"`:                                1,
	})
	// Every store call is timed: the rate limit takes, the idempotency
	// lease and record.
	store := series(mfs, "restwell_store_duration_seconds")
	if n := store[`restwell_op="take",restwell_outcome="allowed",restwell_package="ratelimit"`]; n != 10 {
		t.Errorf("ratelimit take durations: %v samples, want 10 (all: %v)", n, store)
	}

	// No label value comes from the client: not its address, not its
	// idempotency keys, not a path, not an id.
	clientValues := []string{"127.0.0.1", key, "another-key-7", "/api/v1", "/items/" + id, again.header.Get("X-Request-Id"), "BREW"}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, v := range clientValues {
					if strings.Contains(l.GetValue(), v) {
						t.Errorf("%s has label %s=%q, from the client (%q)", name, l.GetName(), l.GetValue(), v)
					}
				}
			}
		}
	}
}

// /metrics is served beside the API, not in it: never rate limited, not
// in the access log, and a method other than GET or HEAD is the API's
// 404. Without Telemetry there is no /metrics.
func TestMetricsEndpoint(t *testing.T) {
	s := newTelemetryShop(t, func(c *Config) {
		c.Rate = ratelimit.Policy{Name: "default", Limit: 1, Window: time.Hour}
	})
	// Anonymous reads, counted by address like the POST /metrics below.
	wantStatus(t, "first", s.do("GET", "/api/v2/items", "", "Authorization", ""), http.StatusOK)
	wantError(t, "second", s.do("GET", "/api/v2/items", "", "Authorization", ""), 429, "rate_limited")
	for range 3 {
		s.scrape() // fails on a status other than 200 or a RateLimit field
	}
	mfs := s.scrape()
	if got := series(mfs, "restwell_decisions_total")[`http_response_status_code="429",restwell_outcome="limited",restwell_package="ratelimit",restwell_policy="default"`]; got != 1 {
		t.Errorf("limited = %v, want 1", got)
	}
	if mfs["target_info"] == nil || mfs["go_goroutines"] == nil {
		t.Errorf("no target_info or go_goroutines in /metrics")
	}
	if logs := s.logs.String(); strings.Contains(logs, "/metrics") {
		t.Errorf("a scrape was logged:\n%s", logs)
	}
	s.rateFields = false // the limiter refuses from now on
	wantError(t, "POST /metrics", s.do("POST", "/metrics", ""), 429, "rate_limited")

	plain := newTestShop(t, nil)
	wantError(t, "no telemetry", plain.do("GET", "/metrics", ""), 404, "not_found")
}

var (
	reTraceID = regexp.MustCompile(`trace_id=([0-9a-f]{32})`)
	reSpanID  = regexp.MustCompile(`span_id=([0-9a-f]{16})`)
)

// The access log and the error records of a request name the request and
// the trace its caller sent (traceparent), with the server span's id.
func TestLogsCarryTraceID(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		parent  = "00f067aa0ba902b7"
	)
	for _, sampled := range []string{"01", "00"} {
		t.Run("sampled="+sampled, func(t *testing.T) {
			s := newTelemetryShop(t, nil)
			item, _ := s.createItem("mug", 1200, "USD")
			s.srv.hooks.onGetItem = func(*http.Request) { panic("boom") }
			r := s.do("GET", "/api/v2/items/"+idOf(t, item), "", "traceparent", "00-"+traceID+"-"+parent+"-"+sampled, "X-Request-ID", "req-trace-1")
			s.srv.hooks.onGetItem = nil
			wantError(t, "panic", r, 500, "internal_error")
			var access, failure string
			for _, l := range strings.Split(s.logs.String(), "\n") {
				if strings.Contains(l, "msg=request ") && strings.Contains(l, "req-trace-1") {
					access = l
				}
				if strings.Contains(l, `msg="request failed"`) {
					failure = l
				}
			}
			if access == "" || failure == "" {
				t.Fatalf("no access log or error record in\n%s", s.logs.String())
			}
			var spans []string
			for _, l := range []string{access, failure} {
				if !strings.Contains(l, "request_id=req-trace-1") {
					t.Errorf("no request_id=req-trace-1 in %s", l)
				}
				if m := reTraceID.FindStringSubmatch(l); m == nil || m[1] != traceID {
					t.Errorf("trace_id %v, want %s, in %s", m, traceID, l)
				}
				m := reSpanID.FindStringSubmatch(l)
				if m == nil || m[1] == parent {
					t.Errorf("span_id %v, want the server span's (not the caller's %s), in %s", m, parent, l)
					continue
				}
				spans = append(spans, m[1])
			}
			if len(spans) == 2 && spans[0] != spans[1] {
				t.Errorf("span ids %v: the access log and the error record are of one span", spans)
			}
			if n := strings.Count(access, "request_id="); n != 1 {
				t.Errorf("request_id %d times in %s", n, access)
			}
		})
	}

	t.Run("no traceparent", func(t *testing.T) {
		s := newTelemetryShop(t, nil)
		s.do("GET", "/api/v2/items", "")
		if !reTraceID.MatchString(s.logs.String()) {
			t.Errorf("a request without traceparent got no trace id:\n%s", s.logs.String())
		}
	})
	t.Run("without telemetry", func(t *testing.T) {
		s := newTestShop(t, nil)
		s.do("GET", "/api/v2/items", "", "traceparent", "00-"+traceID+"-"+parent+"-01")
		if logs := s.logs.String(); strings.Contains(logs, "trace_id") || strings.Contains(logs, "span_id") {
			t.Errorf("trace ids logged without telemetry:\n%s", logs)
		}
	})
}

// startRun runs the command as main does, with env, until the test ends
// or stop is called.
func startRun(t *testing.T, args []string, env map[string]string) (base string, stdout *testenv.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr testenv.Buffer
	stdout = &testenv.Buffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "run.db")}, args...)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, stdout, &stderr, func(addr string) { addrc <- addr })
	}()
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("run: %v; %s", err, stderr.String())
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v; %s", err, stderr.String())
		}
	}
	t.Cleanup(stop)
	return base, stdout, stop
}

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// -metrics (or SHOP_METRICS) serves /metrics; without it there is none.
func TestRunMetrics(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"flag", []string{"-metrics"}, nil, 200},
		{"env", nil, map[string]string{"SHOP_METRICS": "1"}, 200},
		{"off", nil, nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, stdout, _ := startRun(t, tc.args, tc.env)
			if got := strings.Contains(stdout.String(), base+"/metrics"); got != (tc.want == 200) {
				t.Errorf("banner names %s/metrics: %v, want %v:\n%s", base, got, tc.want == 200, stdout.String())
			}
			if code, _ := get(t, base+"/api/v2/items"); code != 200 {
				t.Fatalf("GET /api/v2/items: %d", code)
			}
			code, body := get(t, base+"/metrics")
			if code != tc.want {
				t.Fatalf("GET /metrics: %d, want %d; %s", code, tc.want, body)
			}
			want := `restwell_decisions_total{otel_scope_name="github.com/restwell/restwell/otel",otel_scope_schema_url="",otel_scope_version="",restwell_outcome="allowed",restwell_package="ratelimit",restwell_policy="default"} `
			if code == 200 && !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s:\n%s", want, body)
			}
		})
	}
}

// With OTEL_EXPORTER_OTLP_ENDPOINT, metrics and spans go there by
// OTLP/HTTP, the span continuing the caller's trace; /metrics is not
// served.
func TestRunOTLP(t *testing.T) {
	var mu sync.Mutex
	var traces []*coltracepb.ExportTraceServiceRequest
	paths := map[string]int{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		paths[r.URL.Path]++
		if r.URL.Path == "/v1/traces" {
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(b, &req); err != nil {
				t.Errorf("/v1/traces: %v", err)
			}
			traces = append(traces, &req)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	base, stdout, stop := startRun(t, []string{"-metrics"}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL})
	if !strings.Contains(stdout.String(), "OTLP/HTTP to "+collector.URL) {
		t.Errorf("the banner does not say where the telemetry goes:\n%s", stdout.String())
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	if code, _ := get(t, base+"/api/v2/items", "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01"); code != 200 {
		t.Fatalf("GET /api/v2/items: %d", code)
	}
	if code, _ := get(t, base+"/metrics"); code != 404 {
		t.Errorf("GET /metrics with OTLP: %d, want 404", code)
	}
	stop() // flushes both exporters

	mu.Lock()
	defer mu.Unlock()
	if paths["/v1/metrics"] == 0 || paths["/v1/traces"] == 0 {
		t.Fatalf("collector got %v, want /v1/metrics and /v1/traces", paths)
	}
	var found bool
	for _, req := range traces {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					if hex.EncodeToString(sp.GetTraceId()) != traceID {
						continue
					}
					found = true
					if sp.GetName() != "GET /api/v2/items" || sp.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
						t.Errorf("span %q kind %v, want the server span GET /api/v2/items", sp.GetName(), sp.GetKind())
					}
					var decision bool
					for _, ev := range sp.GetEvents() {
						decision = decision || ev.GetName() == "restwell.decision"
					}
					if !decision {
						t.Errorf("span without a restwell.decision event: %v", sp.GetEvents())
					}
				}
			}
		}
	}
	if !found {
		t.Errorf("no span of trace %s exported", traceID)
	}
}

// The records the middleware log about a request, not only the errors
// package's, carry its request id and trace: here the store failures of
// ratelimit and idempotency with Redis away.
func TestMiddlewareLogsCarryTraceID(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	s := newTelemetryShop(t, func(c *Config) {
		c.Redis = rdb
		c.RedisPrefix = "shop-telemetry-test:"
	})
	s.rateFields = false // the limiter's store is away
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	r := s.do("POST", "/api/v2/orders", `{"item_id":1,"quantity":1}`, "Idempotency-Key", "k-1",
		"traceparent", "00-"+traceID+"-b7ad6b7169203331-01", "X-Request-ID", "req-store-down")
	wantError(t, "order with Redis away", r, http.StatusServiceUnavailable, "idempotency_unavailable")
	var failures []string
	for _, l := range strings.Split(s.logs.String(), "\n") {
		if strings.Contains(l, "store failed") {
			failures = append(failures, l)
		}
	}
	if len(failures) < 2 {
		t.Fatalf("want the ratelimit and idempotency store failures in\n%s", s.logs.String())
	}
	for _, l := range failures {
		if !strings.Contains(l, "request_id=req-store-down") || !strings.Contains(l, "trace_id="+traceID) || !reSpanID.MatchString(l) {
			t.Errorf("no request_id, trace_id or span_id in %s", l)
		}
	}
	if got := series(s.scrape(), "restwell_decisions_total"); got[`http_response_status_code="503",restwell_outcome="store_error",restwell_package="idempotency",restwell_reason="fail-closed"`] != 1 {
		t.Errorf("no idempotency store_error counted: %v", got)
	}
}

// TestStaticRevalidationsObserved: a 304 of /openapi.json, /docs or the
// API catalog is counted like an item's.
func TestStaticRevalidationsObserved(t *testing.T) {
	s := newTelemetryShop(t, nil)
	for _, path := range []string{"/openapi.json", "/docs", apiCatalogPath} {
		first := s.do("GET", path, "", "Authorization", "")
		wantStatus(t, path, first, http.StatusOK)
		tag := first.header.Get("ETag")
		if tag == "" {
			t.Fatalf("%s: no ETag", path)
		}
		wantStatus(t, path+" revalidated", s.do("GET", path, "", "Authorization", "", "If-None-Match", tag), http.StatusNotModified)
	}
	const key = `http_response_status_code="304",restwell_outcome="not_modified",restwell_package="etag",restwell_reason="If-None-Match"`
	if got := series(s.scrape(), "restwell_decisions_total")[key]; got != 3 {
		t.Errorf("not_modified = %v, want 3", got)
	}
}
