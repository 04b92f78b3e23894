package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestKeySent: -key (else SHOP_API_KEY) is sent as Authorization: Bearer
// on every request; with neither, no Authorization at all.
func TestKeySent(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"flag", []string{"-key", "shop_flag"}, "", "Bearer shop_flag"},
		{"env", nil, "shop_env", "Bearer shop_env"},
		{"flag over env", []string{"-key", "shop_flag"}, "shop_env", "Bearer shop_flag"},
		{"none", nil, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SHOP_API_KEY", tt.env)
			var mu sync.Mutex
			var got []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.Method == "POST" && r.URL.Path == "/api/v2/items":
					w.WriteHeader(201)
					w.Write([]byte(`{"id":1,"name":"mug"}`))
				case r.Method == "POST":
					w.WriteHeader(201)
					w.Write([]byte(`{"id":7,"item_id":1,"quantity":2}`))
				default:
					json.NewEncoder(w).Encode(map[string]any{"items": []any{}, "meta": map[string]any{"has_next": false}})
				}
			}))
			defer srv.Close()
			var out, errb bytes.Buffer
			if err := run(context.Background(), append([]string{"-url", srv.URL}, tt.args...), &out, &errb); err != nil {
				t.Fatalf("run: %v\n%s", err, errb.String())
			}
			if len(got) != 3 {
				t.Fatalf("requests %q, want 3", got)
			}
			for _, g := range got {
				if want := " " + tt.want; len(g) < len(want) || g[len(g)-len(want):] != want {
					t.Errorf("%q, want Authorization %q", g, tt.want)
				}
			}
		})
	}
}
