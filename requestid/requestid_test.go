package requestid

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// serve runs one request with the X-Request-ID values given through the
// middleware mw and returns the response header and the context value.
func serve(t *testing.T, mw func(http.Handler) http.Handler, incoming []string) (respID, ctxID string) {
	t.Helper()
	var seen string
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = FromContext(r.Context()) }))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, v := range incoming {
		req.Header.Add(DefaultHeader, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Header().Get(DefaultHeader), seen
}

func isUUIDv7(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.Version() == 7 && u.Variant() == uuid.RFC4122 && len(s) == 36
}

func TestHandler(t *testing.T) {
	long := strings.Repeat("a", MaxLen)
	tests := []struct {
		name     string
		incoming []string
		wantEcho bool // the incoming value is kept
	}{
		{"none", nil, false},
		{"valid", []string{"abc-123_XYZ.~!"}, true},
		{"max length", []string{long}, true},
		{"too long", []string{long + "a"}, false},
		{"empty", []string{""}, false},
		{"space", []string{"a b"}, false},
		{"tab", []string{"a\tb"}, false},
		{"newline", []string{"a\nSet-Cookie: x"}, false},
		{"del", []string{"a\x7f"}, false},
		{"non-ascii", []string{"ü"}, false},
		{"two values", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, ctx := serve(t, Handler, tt.incoming)
			if resp != ctx {
				t.Errorf("response header %q != context %q", resp, ctx)
			}
			if tt.wantEcho {
				if resp != tt.incoming[0] {
					t.Errorf("got %q, want incoming %q", resp, tt.incoming[0])
				}
			} else if !isUUIDv7(resp) {
				t.Errorf("got %q, want a generated UUIDv7", resp)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Run("custom header", func(t *testing.T) {
		m, err := New(Config{Header: "request-id"})
		if err != nil {
			t.Fatal(err)
		}
		var ctxID string
		h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctxID = FromContext(r.Context()) }))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Request-Id", "client-1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("Request-Id"); got != "client-1" || ctxID != "client-1" {
			t.Errorf("header %q ctx %q, want client-1", got, ctxID)
		}
		if rec.Header().Get(DefaultHeader) != "" {
			t.Error("default header set although another was configured")
		}
	})
	t.Run("ignore incoming", func(t *testing.T) {
		m, _ := New(Config{IgnoreIncoming: true})
		resp, _ := serve(t, m.Handler, []string{"client-1"})
		if !isUUIDv7(resp) {
			t.Errorf("got %q, want generated", resp)
		}
	})
	t.Run("generator", func(t *testing.T) {
		m, _ := New(Config{Generate: func() string { return "gen-1" }})
		if resp, _ := serve(t, m.Handler, nil); resp != "gen-1" {
			t.Errorf("got %q, want gen-1", resp)
		}
	})
	t.Run("invalid generator output replaced", func(t *testing.T) {
		m, _ := New(Config{Generate: func() string { return "bad id\n" }})
		if resp, _ := serve(t, m.Handler, nil); !isUUIDv7(resp) {
			t.Errorf("got %q, want UUIDv7", resp)
		}
	})
	t.Run("invalid header name", func(t *testing.T) {
		for _, h := range []string{"X Request", "X-Req\n", "Ü"} {
			if _, err := New(Config{Header: h}); err == nil || !strings.HasPrefix(err.Error(), "requestid: ") {
				t.Errorf("New(%q) err = %v, want a requestid: error", h, err)
			}
		}
	})
}

func TestContext(t *testing.T) {
	if got := FromContext(context.Background()); got != "" {
		t.Errorf("FromContext(empty) = %q", got)
	}
	if got := FromContext(NewContext(context.Background(), "x")); got != "x" {
		t.Errorf("FromContext = %q, want x", got)
	}
}

// FuzzRequestID checks that whatever a client sends, the identifier that
// reaches the response header and the context is valid, and that a valid
// incoming one is kept unchanged.
//
//	go test ./requestid -run '^$' -fuzz FuzzRequestID -fuzztime 60s
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", "x\r\nSet-Cookie: a=b", strings.Repeat("z", 129), "\x00", "ü"} {
		f.Add(s)
	}
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	f.Fuzz(func(t *testing.T, in string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(DefaultHeader, in)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := rec.Header().Get(DefaultHeader)
		if !Valid(got) {
			t.Fatalf("emitted invalid id %q for input %q", got, in)
		}
		if Valid(in) != (got == in) {
			t.Fatalf("input %q (valid %v) -> %q", in, Valid(in), got)
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tc := range []struct {
		name, in string
	}{{"generate", ""}, {"accept", "0198c4d2-7b1a-7c3e-9a55-1f2e3d4c5b6a"}} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.in != "" {
				req.Header.Set(DefaultHeader, tc.in)
			}
			w := discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) WriteHeader(int)             {}
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
