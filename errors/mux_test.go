package errors

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWrapMux(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":1}`)
	})
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	mux.HandleFunc("GET /own-404", func(w http.ResponseWriter, r *http.Request) {
		Write(w, r, NotFound("item 9 does not exist"))
	})
	mux.HandleFunc("GET /html-404", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		io.WriteString(w, "<h1>gone</h1>")
	})
	mux.HandleFunc("GET /long-text-404", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, strings.Repeat("x", 5000), 404)
	})
	// Written the way chi writes its 405: one Allow field per method, no
	// Content-Type, an empty body.
	mux.HandleFunc("/untyped-405", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Allow", "GET")
		w.Header().Add("Allow", "HEAD")
		w.Header().Add("Allow", "GET")
		w.WriteHeader(405)
		w.Write(nil)
	})
	mux.HandleFunc("GET /untyped-404", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
	})
	mux.HandleFunc("GET /untyped-404-body", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"missing":true}`)
	})
	mux.HandleFunc("GET /suppressed-type-404", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		w.WriteHeader(404)
	})

	tests := []struct {
		method, path string
		format       Format
		wantStatus   int
		wantCT       string
		wantBody     string
		wantAllow    string
	}{
		{"GET", "/items/1", Envelope, 200, "", `{"id":1}`, ""},
		{"GET", "/nothing-here", Envelope, 404, "application/json; charset=utf-8",
			`{"error":{"code":"not_found","message":"the resource does not exist"}}`, ""},
		{"DELETE", "/items/1", Envelope, 405, "application/json; charset=utf-8",
			`{"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource"}}`, "GET, HEAD"},
		{"PUT", "/items", Problem, 405, "application/problem+json",
			`{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"the method is not allowed on this resource","code":"method_not_allowed"}`, "POST"},
		{"GET", "/nothing-here", Problem, 404, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"the resource does not exist","code":"not_found"}`, ""},
		{"GET", "/own-404", Envelope, 404, "application/json; charset=utf-8",
			`{"error":{"code":"not_found","message":"item 9 does not exist"}}`, ""},
		{"GET", "/html-404", Envelope, 404, "text/html", "<h1>gone</h1>", ""},
		{"GET", "/long-text-404", Envelope, 404, "text/plain; charset=utf-8", strings.Repeat("x", 5000) + "\n", ""},
		{"POST", "/untyped-405", Envelope, 405, "application/json; charset=utf-8",
			`{"error":{"code":"method_not_allowed","message":"the method is not allowed on this resource"}}`, "GET, HEAD"},
		{"GET", "/untyped-404", Problem, 404, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"the resource does not exist","code":"not_found"}`, ""},
		{"GET", "/untyped-404-body", Envelope, 404, "text/plain; charset=utf-8", `{"missing":true}`, ""},
		{"GET", "/suppressed-type-404", Envelope, 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rd := &Renderer{Format: tt.format}
			srv := httptest.NewServer(rd.Handler(WrapMux(mux)))
			defer srv.Close()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body = %s, want %s", body, tt.wantBody)
			}
			if tt.wantCT != "" && resp.Header.Get("Content-Type") != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tt.wantCT)
			}
			if got := resp.Header.Values("Allow"); tt.wantAllow == "" && len(got) != 0 ||
				tt.wantAllow != "" && (len(got) != 1 || got[0] != tt.wantAllow) {
				t.Errorf("Allow = %q, want one field %q", got, tt.wantAllow)
			}
		})
	}
}

func BenchmarkWrapMux(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"id":1}`)) })
	h := WrapMux(mux)
	for _, bc := range []struct{ name, method, path string }{
		{"200", "GET", "/items/1"},
		{"404", "GET", "/nothing"},
		{"405", "DELETE", "/items/1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(bc.method, bc.path, nil)
			w := &discardWriter{h: make(http.Header, 4)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

func BenchmarkConstructor(b *testing.B) {
	cause := io.EOF
	b.ReportAllocs()
	for b.Loop() {
		errSink = NotFound("no item with that id").WithCause(cause) // escapes, as a returned error does
	}
}

var errSink error
