package errors

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/requestid"
)

// Handler adapts a function that returns an error to an http.Handler. A
// returned error is rendered with Write, unless the handler had already
// started its response; then nothing more is written and the error is
// logged. A nil *Error returned as the error (var e *errors.Error; return
// e) counts as nil: nothing is written. Handler is safe for concurrent use
// if the function is.
//
//	mux.Handle("GET /items/{id}", errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
//		item, err := store.Get(r.Context(), r.PathValue("id"))
//		if err != nil {
//			return err // a *errors.Error from the store, or a 500
//		}
//		return json.NewEncoder(w).Encode(item)
//	}))
type Handler func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP calls h and renders the error it returns.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error
	var started bool
	if cw := capture.Of(w); cw != nil {
		// A middleware outside records the response already (WrapMux,
		// Recover, etag, ...): it tells whether h started it, and cuts a
		// goroutine h leaked off when it finishes.
		err = h(w, r)
		started = cw.Started()
	} else {
		cw, rw := reqstate.Capture(r, w, capture.Pass, 0)
		cw.Logger = rendererFor(r).Logger
		err = h(rw, r)
		capture.Put(cw) // a goroutine h leaked can no longer write
		started = cw.Started()
	}
	if e, ok := err.(*Error); err == nil || ok && e == nil {
		return
	}
	if started {
		rd := rendererFor(r)
		rd.logger().LogAttrs(r.Context(), slog.LevelError, "handler failed after writing its response",
			slog.String("error", err.Error()),
			slog.String("request_id", requestid.FromContext(r.Context())),
			slog.String("method", r.Method), slog.String("path", logsafe.Clip(r.URL.Path)))
		return
	}
	Write(w, r, err)
}

// PanicError is the cause Recover gives the 500 it writes for a panic. The
// log record carries the stack; the response body never does.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the goroutine's stack at the panic
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Recover returns a handler that turns a panic in next into a logged 500.
//
// If next had not started its response, the client gets a 500 error body
// with no internal detail and the log gets the panic value and stack. If
// it had, nothing more is written: the panic is logged and the connection
// is aborted with http.ErrAbortHandler, so the client sees a broken
// response rather than a truncated one that looks whole. A panic with
// http.ErrAbortHandler itself is passed on untouched, as net/http expects.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, rw := reqstate.Capture(r, w, capture.Pass, 0)
		cw.Logger = rendererFor(r).Logger
		defer func() {
			v := recover()
			capture.Put(cw) // a goroutine next leaked can no longer write
			started := cw.Started()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			perr := &PanicError{Value: v, Stack: debug.Stack()}
			if started {
				rendererFor(r).logger().LogAttrs(r.Context(), slog.LevelError, "panic after the response started",
					slog.String("error", perr.Error()), slog.String("stack", string(perr.Stack)),
					slog.String("request_id", requestid.FromContext(r.Context())),
					slog.String("method", r.Method), slog.String("path", logsafe.Clip(r.URL.Path)))
				panic(http.ErrAbortHandler)
			}
			Write(w, r, Internal(perr))
		}()
		next.ServeHTTP(rw, r)
	})
}
