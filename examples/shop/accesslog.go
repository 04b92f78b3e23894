package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/felixge/httpsnoop"
	"github.com/restwell/restwell/requestid"
)

// maxLoggedPath bounds the path written to the access log: it comes from
// the client.
const maxLoggedPath = 256

// accessLog writes one log record per request, once it is answered:
// method, path, status, duration and request id (and, logged with the
// request's context, the trace id and span id when it is traced). The path is the escaped
// path the client sent (no control characters reach the log), cut to
// maxLoggedPath bytes. A request whose handler panics past Recover (an
// aborted response) is logged with status 0 before the panic goes on.
//
// The response writer is wrapped with httpsnoop, which keeps every
// optional interface (Flusher, Hijacker, ReaderFrom) of the writer it
// wraps, and only WriteHeader is intercepted: a handler that writes
// without calling it sends 200.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status, done := 0, false
		ww := httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					if status == 0 && code >= 200 {
						status = code
					}
					next(code)
				}
			},
		})
		defer func() {
			if done && status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			if status >= 500 || status == 0 {
				level = slog.LevelError
			}
			path := r.URL.EscapedPath()
			if len(path) > maxLoggedPath {
				path = path[:maxLoggedPath] + "..."
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", requestid.FromContext(r.Context())),
			)
		}()
		next.ServeHTTP(ww, r)
		done = true
	})
}
