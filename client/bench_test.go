package client

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// memTransport answers every request with a fixed 200 in memory.
type memTransport struct{}

func (memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"ok":true}`)),
		ContentLength: 11, Request: r}, nil
}

func benchCall(b *testing.B, rt http.RoundTripper, method string) {
	req, _ := http.NewRequest(method, "http://api.example.com/items", nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkBase(b *testing.B) { benchCall(b, memTransport{}, "GET") }

func BenchmarkTransport(b *testing.B) {
	tr, _ := NewTransport(Config{Base: memTransport{}})
	benchCall(b, tr, "GET")
}

func BenchmarkTransportNoBuffer(b *testing.B) {
	tr, _ := NewTransport(Config{Base: memTransport{}, MaxBufferedBody: -1})
	benchCall(b, tr, "GET")
}

func BenchmarkPace(b *testing.B) {
	tr, _ := NewTransport(Config{Limit: 1e12, Burst: 1 << 30})
	k := pacerKey{"http", "api.example.com", "GET"}
	req, _ := http.NewRequest("GET", "http://api.example.com/", nil)
	tr.getOrCreate(k)
	ctx := req.Context()
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.pace(ctx, k, req, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBasePOST and BenchmarkTransportPOSTKeyed compare a POST through
// the base with one to which the transport adds an Idempotency-Key.
func BenchmarkBasePOST(b *testing.B) { benchCall(b, memTransport{}, "POST") }

func BenchmarkTransportPOSTKeyed(b *testing.B) {
	tr, _ := NewTransport(Config{Base: memTransport{}, IdempotencyKeys: true})
	benchCall(b, tr, "POST")
}

// BenchmarkTransportPOSTKeyedRandPool is BenchmarkTransportPOSTKeyed in a
// program that called uuid.EnableRandPool, as NewKey describes.
func BenchmarkTransportPOSTKeyedRandPool(b *testing.B) {
	uuid.EnableRandPool() // nothing else makes UUIDs while benchmarks run
	defer uuid.DisableRandPool()
	tr, _ := NewTransport(Config{Base: memTransport{}, IdempotencyKeys: true})
	benchCall(b, tr, "POST")
}

// TestTransportAllocs: a successful call through the transport allocates
// at most 4 times more than the same call through its base, a POST to
// which it adds an Idempotency-Key included (its answer's body being
// short enough for the call's own allocation).
func TestTransportAllocs(t *testing.T) {
	call := func(rt http.RoundTripper, method string, body bool) float64 {
		var r io.Reader
		if body {
			r = strings.NewReader(`{"sku":"a"}`) // replayable: GetBody is set
		}
		req, _ := http.NewRequest(method, "http://api.example.com/items", r)
		return testing.AllocsPerRun(200, func() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	for _, tt := range []struct {
		name   string
		method string
		body   bool
		cfg    Config
	}{
		{"buffered", "GET", false, Config{}},
		{"not buffered", "GET", false, Config{MaxBufferedBody: -1}},
		{"with a caller's limit", "GET", false, Config{Limit: 1e12, Burst: 1 << 30}},
		{"POST given a key", "POST", false, Config{IdempotencyKeys: true}},
		{"POST with a body given a key", "POST", true, Config{IdempotencyKeys: true}},
		{"POST given a key, not buffered", "POST", false, Config{IdempotencyKeys: true, MaxBufferedBody: -1}},
		{"GET with Config.Header", "GET", false, Config{Header: http.Header{"User-Agent": {"t"}}}},
	} {
		base := call(memTransport{}, tt.method, tt.body)
		cfg := tt.cfg
		cfg.Base = memTransport{}
		tr, _ := NewTransport(cfg)
		if got := call(tr, tt.method, tt.body); got > base+4 {
			t.Errorf("%s: %.0f allocations per call, base %.0f; want at most 4 more", tt.name, got, base)
		}
	}
}

func BenchmarkNewKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewKey()
	}
}
