package main

import (
	"context"
	"io"
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
// method, path, status, duration, bytes written and request id. The path
// is the escaped path the client sent (no control characters reach the
// log), cut to maxLoggedPath bytes. A request whose handler panics past
// Recover (an aborted response) is logged with status 0 before the panic
// goes on.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status, written := 0, int64(0)
		ww := httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					if status == 0 && code >= 200 {
						status = code
					}
					next(code)
				}
			},
			Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
				return func(b []byte) (int, error) {
					if status == 0 {
						status = http.StatusOK
					}
					n, err := next(b)
					written += int64(n)
					return n, err
				}
			},
			ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
				return func(src io.Reader) (int64, error) {
					if status == 0 {
						status = http.StatusOK
					}
					n, err := next(src)
					written += n
					return n, err
				}
			},
		})
		defer func() {
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelError
			}
			path := r.URL.EscapedPath()
			if len(path) > maxLoggedPath {
				path = path[:maxLoggedPath] + "..."
			}
			log.LogAttrs(context.Background(), level, "request",
				slog.String("method", r.Method),
				slog.String("path", path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", written),
				slog.String("request_id", requestid.FromContext(r.Context())),
			)
		}()
		next.ServeHTTP(ww, r)
		if status == 0 {
			status = http.StatusOK // the handler wrote nothing: net/http sends 200
		}
	})
}
