package requestid_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/restwell/restwell/requestid"
)

// Every record logged with the request's context names the request.
func ExampleLogHandler() {
	logger := slog.New(requestid.NewLogHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	})))
	h := requestid.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "order created", "order", 7)
	}))
	req := httptest.NewRequest("POST", "/orders", nil)
	req.Header.Set("X-Request-ID", "f3b1c2d4")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// level=INFO msg="order created" order=7 request_id=f3b1c2d4
}

// LogAttr names the request in one record, for a logger without
// LogHandler.
func ExampleLogAttr() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
	h := requestid.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("path", r.URL.Path), requestid.LogAttr(r.Context()))
	}))
	req := httptest.NewRequest("GET", "/items", nil)
	req.Header.Set("X-Request-ID", "f3b1c2d4")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// level=INFO msg=request path=/items request_id=f3b1c2d4
}
