package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestShop(t *testing.T) {
	srv := httptest.NewServer(NewServer(slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"create", "POST", "/api/v2/items", `{"name":"mug","price":1200}`, 201, ""},
		{"get", "GET", "/api/v2/items/1", "", 200, ""},
		{"missing", "GET", "/api/v2/items/99", "", 404, "not_found"},
		{"invalid", "POST", "/api/v2/items", `{"name":"","price":-1}`, 422, "validation_failed"},
		{"malformed", "POST", "/api/v2/items", `{"name":`, 400, "bad_request"},
		{"no route", "GET", "/nope", "", 404, "not_found"},
		{"wrong method", "DELETE", "/api/v2/items", "", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tt.wantCode != "" {
				var env struct {
					Error struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
					t.Fatal(err)
				}
				if env.Error.Code != tt.wantCode {
					t.Errorf("code = %q, want %q", env.Error.Code, tt.wantCode)
				}
			}
		})
	}
}
