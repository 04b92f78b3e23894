package errors

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restwell/restwell/internal/testenv"
)

// withLogs returns a Renderer logging to a buffer, installed around h.
func withLogs(h http.Handler, f Format) (http.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	rd := &Renderer{Format: f, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	return rd.Handler(h), &logs
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		fn         Handler
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{"nil error", func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(201)
			io.WriteString(w, "made")
			return nil
		}, 201, "made", ""},
		{"typed nil *Error after writing", func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(201)
			io.WriteString(w, "made")
			var e *Error
			return e
		}, 201, "made", ""},
		{"typed nil *Error without writing", func(w http.ResponseWriter, r *http.Request) error {
			var e *Error
			return e
		}, 200, "", ""},
		{"error before writing", func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("ETag", `"stale"`)
			return NotFound("no such item")
		}, 404, `{"error":{"code":"not_found","message":"no such item"}}`, ""},
		{"foreign error", func(w http.ResponseWriter, r *http.Request) error {
			return io.ErrUnexpectedEOF
		}, 500, `{"error":{"code":"internal_error","message":"internal error"}}`, "unexpected EOF"},
		{"error after writing is logged, not written", func(w http.ResponseWriter, r *http.Request) error {
			io.WriteString(w, `{"partial":`)
			return io.ErrClosedPipe
		}, 200, `{"partial":`, "handler failed after writing its response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := withLogs(tt.fn, Envelope)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if tt.wantLog == "" && logs.Len() > 0 {
				t.Errorf("unexpected log: %s", logs.String())
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log %q lacks %q", logs.String(), tt.wantLog)
			}
			if rec.Header().Get("Etag") != "" {
				t.Error("stale ETag kept on an error")
			}
		})
	}
}

func TestHandlerKeepsFlusher(t *testing.T) {
	var flushed bool
	h := Handler(func(w http.ResponseWriter, r *http.Request) error {
		_, flushed = w.(http.Flusher)
		return http.NewResponseController(w).Flush()
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if !flushed || !rec.Flushed {
		t.Errorf("Flusher visible %v, recorder flushed %v", flushed, rec.Flushed)
	}
}

func TestRecover(t *testing.T) {
	t.Run("panic before writing", func(t *testing.T) {
		for _, f := range []Format{Envelope, Problem} {
			h, logs := withLogs(Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				panic("db password=hunter2")
			})), f)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/orders", nil))
			if rec.Code != 500 {
				t.Errorf("status = %d, want 500", rec.Code)
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "goroutine") {
				t.Errorf("body leaks the panic: %s", rec.Body.String())
			}
			l := logs.String()
			for _, want := range []string{"panic: db password=hunter2", "stack=", "goroutine", "method=POST", "path=/orders"} {
				if !strings.Contains(l, want) {
					t.Errorf("log lacks %q: %s", want, l)
				}
			}
			if strings.Count(l, "level=ERROR") != 1 {
				t.Errorf("want exactly one log record, got %s", l)
			}
		}
	})
	t.Run("panic after writing aborts the connection", func(t *testing.T) {
		var logs testenv.Buffer
		rd := &Renderer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		srv := httptest.NewServer(rd.Handler(Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"items":[`)
			w.(http.Flusher).Flush()
			panic("half way")
		}))))
		srv.Config.ErrorLog = slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelError)
		defer srv.Close()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, readErr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("status = %d, want the 200 already sent", resp.StatusCode)
		}
		if readErr == nil {
			t.Errorf("body read completed (%q); want a broken response", body)
		}
		if strings.Contains(string(body), "internal error") {
			t.Errorf("an error body was written after the response started: %q", body)
		}
		if !strings.Contains(logs.String(), "panic after the response started") {
			t.Errorf("log = %q", logs.String())
		}
	})
	t.Run("ErrAbortHandler passes through", func(t *testing.T) {
		h, logs := withLogs(Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic(http.ErrAbortHandler)
		})), Envelope)
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
			if logs.Len() != 0 {
				t.Errorf("ErrAbortHandler logged: %s", logs.String())
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		t.Error("ServeHTTP returned normally")
	})
	t.Run("no panic", func(t *testing.T) {
		h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != 204 {
			t.Errorf("status = %d", rec.Code)
		}
	})
}

func TestPanicError(t *testing.T) {
	p := &PanicError{Value: 42}
	if got := p.Error(); got != "panic: 42" {
		t.Errorf("Error() = %q", got)
	}
}

// TestHandlerInsideACapture checks Handler behind a middleware that
// already records the response (WrapMux here), where it asks that
// middleware's record whether the handler started: an error before any
// write is rendered, one after is only logged.
func TestHandlerInsideACapture(t *testing.T) {
	tests := []struct {
		name     string
		h        Handler
		wantCode int
		wantBody string
	}{
		{"error before writing", func(w http.ResponseWriter, r *http.Request) error { return NotFound("no such item") }, 404, `"not_found"`},
		{"error after writing", func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusAccepted)
			return New("too late")
		}, 202, ""},
		{"no error", func(w http.ResponseWriter, r *http.Request) error { _, err := w.Write([]byte("ok")); return err }, 200, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs testenv.Buffer
			rd := &Renderer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			rec := httptest.NewRecorder()
			rd.Handler(WrapMux(tt.h)).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) || tt.wantBody == "" && rec.Body.Len() != 0 {
				t.Errorf("got %d %q, want %d with %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			if logged := strings.Contains(logs.String(), "handler failed after writing"); logged != (tt.name == "error after writing") {
				t.Errorf("log %q", logs.String())
			}
		})
	}
}
