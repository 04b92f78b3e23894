package requestid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/requestid"
)

func TestLogAttr(t *testing.T) {
	ctx := requestid.NewContext(context.Background(), "abc")
	if got, want := requestid.LogAttr(ctx), slog.String("request_id", "abc"); !got.Equal(want) {
		t.Errorf("LogAttr = %v, want %v", got, want)
	}
	if got := requestid.LogAttr(context.Background()); !got.Equal(slog.Attr{}) {
		t.Errorf("LogAttr without an id = %v, want the empty attribute", got)
	}
}

func TestLogHandler(t *testing.T) {
	withID := requestid.NewContext(context.Background(), "abc")
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string // the JSON record without time and level
	}{
		{"added from the context", func(l *slog.Logger) {
			l.InfoContext(withID, "hi", "n", 1)
		}, `{"msg":"hi","n":1,"request_id":"abc"}`},
		{"record already has one", func(l *slog.Logger) {
			l.LogAttrs(withID, slog.LevelInfo, "hi", slog.String("request_id", "own"))
		}, `{"msg":"hi","request_id":"own"}`},
		{"logger already has one", func(l *slog.Logger) {
			l.With("request_id", "own").InfoContext(withID, "hi")
		}, `{"msg":"hi","request_id":"own"}`},
		{"logger has one outside the open group", func(l *slog.Logger) {
			l.With("request_id", "own").WithGroup("g").InfoContext(withID, "hi", "n", 1)
		}, `{"msg":"hi","request_id":"own","g":{"n":1,"request_id":"abc"}}`},
		{"inside an open group", func(l *slog.Logger) {
			l.WithGroup("g").InfoContext(withID, "hi", "n", 1)
		}, `{"msg":"hi","g":{"n":1,"request_id":"abc"}}`},
		{"empty group name is no group", func(l *slog.Logger) {
			l.With("request_id", "own").WithGroup("").InfoContext(withID, "hi")
		}, `{"msg":"hi","request_id":"own"}`},
		{"no id in the context", func(l *slog.Logger) {
			l.InfoContext(context.Background(), "hi")
		}, `{"msg":"hi"}`},
		{"no context", func(l *slog.Logger) {
			l.Info("hi")
		}, `{"msg":"hi"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(requestid.NewLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
				ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
					if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
						return slog.Attr{}
					}
					return a
				},
			})))
			tt.log(l)
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestLogHandlerEnabled(t *testing.T) {
	h := requestid.NewLogHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled does not follow the wrapped handler's level")
	}
}

// The errors package's own records name the request once, not twice.
func TestLogHandlerWithErrorsRecords(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(requestid.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	rd := &errors.Renderer{Logger: logger}
	h := requestid.Handler(rd.Handler(errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		logger.InfoContext(r.Context(), "handling")
		return errors.New("database down") // a 500, logged by errors
	})))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-ID", "req-1")
	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d records, want 2: %s", len(lines), buf.String())
	}
	for _, line := range lines {
		if n := strings.Count(line, `"request_id"`); n != 1 {
			t.Errorf("record has request_id %d times, want once: %s", n, line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["request_id"] != "req-1" {
			t.Errorf("record %s: request_id = %v, want req-1", line, rec["request_id"])
		}
	}
}

func BenchmarkLogHandler(b *testing.B) {
	ctx := requestid.NewContext(context.Background(), "0198c4d2-7b1e-7c3a-9f00-1234567890ab")
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"bare", slog.NewJSONHandler(io.Discard, nil)},
		{"LogHandler", requestid.NewLogHandler(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := slog.New(bc.h)
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelInfo, "order created", slog.Int("order", 7), slog.String("status", "new"))
			}
		})
	}
}
