package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRun runs the command against a stand-in of the shop whose first
// order attempt fails with 503: the order is retried with the same key.
func TestRun(t *testing.T) {
	var orders atomic.Int32
	keys := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v2/items":
			w.WriteHeader(201)
			w.Write([]byte(`{"id":1,"name":"mug","price":{"amount":1200,"currency":"USD"}}`))
		case r.Method == "POST" && r.URL.Path == "/api/v2/orders":
			keys <- r.Header.Get("Idempotency-Key")
			if orders.Add(1) == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(503)
				return
			}
			w.WriteHeader(201)
			w.Write([]byte(`{"id":7,"item_id":1,"quantity":2}`))
		case r.Method == "GET" && r.URL.Path == "/api/v2/items":
			json.NewEncoder(w).Encode(map[string]any{"items": []map[string]any{{"id": 1, "name": "mug"}}, "meta": map[string]any{"has_next": false}})
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-url", srv.URL}, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	k1, k2 := <-keys, <-keys
	if k1 == "" || k1 != k2 {
		t.Errorf("keys %q and %q, want one key reused", k1, k2)
	}
	for _, want := range []string{"created item 1", "placed order 7", "1 items in all", "attempt 1, status (status 503)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
