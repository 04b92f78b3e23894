package client

import (
	"io"
	"net/http"
	"strings"
	"testing"
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
