// Package capture wraps an http.ResponseWriter so that middleware can see,
// and when it must, hold back what a handler writes.
//
// It is the one response wrapper shared by every middleware in the module.
// A Writer records the status and body size, optionally keeps a copy of the
// body (Tee) or keeps the whole response back until the middleware decides
// what to send (Hold). The http.ResponseWriter returned by Get implements
// http.Flusher and http.Hijacker exactly when the wrapped writer does, and
// Unwrap, so http.NewResponseController reaches deadlines and full duplex
// through it. Informational (1xx) headers pass straight through; a repeated
// WriteHeader is ignored.
//
// A Writer serves one request and is not safe for concurrent use, just like
// the http.ResponseWriter it wraps.
//
// # Late calls
//
// A handler may leak a goroutine that keeps the http.ResponseWriter and
// uses it after the handler returned. Each Writer is made for one request
// and never reused, and Detach (which Put implies) cuts the writer handed
// to the handler off for good: from then on its Write, WriteHeader, Flush
// and Hijack do nothing (Write and Hijack fail with ErrDetached), its
// Header is a fresh map that goes nowhere, its Unwrap a writer that keeps
// nothing, and the first such call is logged. A late call
// therefore never reaches this response's wrapped writer, the middleware's
// held body, or any other request. In Tee and Hold mode, where the body
// lives in pooled chunks, the handler's calls and Detach are also mutually
// exclusive, so even a goroutine racing the handler's return cannot write
// into a chunk that has gone back to the pool.
package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Mode says what a Writer does with the body a handler writes.
type Mode uint8

const (
	// Pass sends everything straight through and records the status and
	// the number of body bytes.
	Pass Mode = iota
	// Tee sends everything through and also keeps a copy of the first
	// Limit bytes of the body. A body longer than Limit sets Overflowed
	// and the copy is dropped. The copy holds every byte the handler
	// wrote, even those the wrapped writer failed to send (a client that
	// went away), so it is the response the handler meant to give.
	Tee
	// Hold keeps the header and up to Limit bytes of body back until the
	// middleware calls Release or Discard. A body that grows past Limit,
	// or a Flush, sends what is held and continues as Pass; Overflowed or
	// Flushed report it. HoldIf can exempt a response when its header is
	// written.
	Hold
)

// Unlimited as a Limit makes Tee and Hold keep the whole body.
const Unlimited = -1

// ErrDetached is the error a late Write gets: the handler had returned
// and its response was finished (see Late calls in the package
// documentation).
var ErrDetached = errors.New("capture: response written after the handler returned")

// Writer records and optionally holds back a handler's response.
// Obtain one with Get and finish it with Put.
//
// The Writer's own methods are the middleware's: they are not guarded and
// belong to the goroutine serving the request. The http.ResponseWriter
// Get returns is the handler's: it stops working at Detach.
type Writer struct {
	rw http.ResponseWriter
	// limit is the number of body bytes Tee keeps and Hold holds; Unlimited
	// for no limit.
	limit int

	// HoldIf, in Hold mode, is consulted once when the handler commits its
	// header (its first WriteHeader with a final status, or its first
	// Write). Returning false sends this response straight through. Nil
	// holds every response. It runs inside the handler's call and must
	// not call the handler's writer itself.
	HoldIf func(status int, h http.Header) bool

	// Logger receives the report of the first call the handler's writer
	// gets after Detach. Set it before the handler runs. Nil means
	// slog.Default().
	Logger *slog.Logger

	// mu makes the handler's calls and Detach exclusive in Tee and Hold
	// mode; Pass mode keeps nothing another request could see, and takes
	// no lock.
	mu       sync.Mutex
	detached atomic.Bool
	reported atomic.Bool

	status   int   // final status the handler chose; 0 until it chose one
	size     int64 // body bytes the handler wrote
	mode     Mode
	sent     bool // header passed to rw
	holding  bool // header and body are being held
	overflow bool
	flushed  bool
	hijacked bool
	dropping bool // Suppress was called: the handler's response goes nowhere
	buf      Buffer
}

// Get returns a new Writer around rw in the given mode and the
// http.ResponseWriter a handler should be given: it exposes Flush and
// Hijack only when rw does. limit bounds the bytes Tee copies and Hold
// holds (Unlimited for none); it is ignored in Pass mode.
//
// Writers are not pooled: one that a leaked goroutine still holds must
// never serve another request. The allocation is the price of that.
func Get(rw http.ResponseWriter, mode Mode, limit int) (*Writer, http.ResponseWriter) {
	w := new(Writer)
	return w, Start(w, rw, mode, limit)
}

// Start is Get for a Writer the caller allocated, for one that lives
// inside a larger value made for the same request (see reqstate). w must
// be a zero Writer that was never used: like a Writer from Get, it serves
// one request and must never be started again, so a goroutine that
// outlived an earlier request cannot write through it.
func Start(w *Writer, rw http.ResponseWriter, mode Mode, limit int) http.ResponseWriter {
	w.rw, w.mode, w.limit = rw, mode, limit
	_, fl := rw.(http.Flusher)
	_, hj := rw.(http.Hijacker)
	switch {
	case fl && hj:
		return flushHijacker{front{w}}
	case fl:
		return flusher{front{w}}
	case hj:
		return hijacker{front{w}}
	default:
		return front{w}
	}
}

// Of returns the Writer behind w when w is the handler's writer of a
// Writer that is not detached, and nil otherwise. A middleware that only
// needs to know whether its handler started the response can then ask
// that Writer, which sees every call, instead of getting one of its own:
// Started reports the response as a whole, whoever wrote it. It must be
// called by the goroutine serving the request.
func Of(w http.ResponseWriter) *Writer {
	var f front
	switch v := w.(type) {
	case front:
		f = v
	case flusher:
		f = v.front
	case hijacker:
		f = v.front
	case flushHijacker:
		f = v.front
	default:
		return nil
	}
	if f.w.detached.Load() {
		return nil
	}
	return f.w
}

// Detach cuts the handler's writer off: every later call on it is
// dropped (see Late calls in the package documentation). Call it as soon
// as the handler returns, before looking at what it wrote; the Writer's
// own methods go on working for the middleware. Detach is idempotent and
// safe to call while a goroutine the handler leaked uses its writer.
func (w *Writer) Detach() {
	if w.mode == Pass {
		w.detached.Store(true)
		return
	}
	w.mu.Lock()
	w.detached.Store(true)
	w.mu.Unlock()
}

// Put detaches w and gives back the pooled chunks of what it holds,
// without sending it. Afterwards w still reports what happened (Status,
// Started, Size, ...), but its body is gone and nothing more may be
// written through it.
func Put(w *Writer) {
	w.Detach()
	w.buf.Reset()
}

// Header returns the header map of the wrapped writer.
func (w *Writer) Header() http.Header { return w.rw.Header() }

// Unwrap returns the wrapped writer, for http.NewResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.rw }

// WriteHeader records the status and, unless the response is held, sends
// the header. Informational statuses (1xx other than 101) are sent at once
// and do not count as the final status. Later calls are ignored.
func (w *Writer) WriteHeader(code int) {
	if code < 100 || code > 999 {
		// Mirror net/http, which refuses such codes the same way.
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status != 0 || w.hijacked {
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.rw.WriteHeader(code)
		return
	}
	w.status = code
	if w.dropping {
		return
	}
	if w.mode == Hold && (w.HoldIf == nil || w.HoldIf(code, w.rw.Header())) {
		w.holding = !w.dropping // HoldIf may have called Suppress
		return
	}
	if w.dropping {
		return
	}
	w.rw.WriteHeader(code)
	w.sent = true
}

// Write writes body bytes according to the mode. Like net/http it sends a
// 200 header first when the handler has not written one.
func (w *Writer) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.dropping:
		w.size += int64(len(p))
		return len(p), nil
	case w.holding:
		if w.limit == Unlimited || w.buf.Len()+len(p) <= w.limit {
			w.buf.Write(p)
			w.size += int64(len(p))
			return len(p), nil
		}
		w.overflow = true
		if err := w.Release(); err != nil {
			return 0, err
		}
		n, err := w.rw.Write(p)
		w.size += int64(n)
		return n, err
	case w.mode == Tee:
		n, err := w.rw.Write(p)
		w.size += int64(n)
		if !w.overflow {
			if w.limit != Unlimited && w.buf.Len()+len(p) > w.limit {
				w.overflow = true
				w.buf.Reset()
			} else {
				w.buf.Write(p)
			}
		}
		return n, err
	default:
		n, err := w.rw.Write(p)
		w.size += int64(n)
		return n, err
	}
}

// Release sends a held header and body to the wrapped writer and continues
// in Pass mode. It does nothing when nothing is held. Headers changed
// before Release are sent with it.
func (w *Writer) Release() error {
	if !w.holding {
		return nil
	}
	w.holding = false
	w.rw.WriteHeader(w.status)
	w.sent = true
	_, err := w.buf.WriteTo(w.rw)
	w.buf.Reset()
	return err
}

// Discard drops a held header and body: the middleware answers on the
// wrapped writer itself (a 304, say). It does nothing when nothing is held.
func (w *Writer) Discard() {
	if !w.holding {
		return
	}
	w.holding = false
	w.buf.Reset()
}

// Suppress drops the handler's response from now on: a held header and
// body are discarded, later body writes are counted and dropped, a Flush
// sends nothing, and nothing is ever released. The middleware then answers
// on the wrapped writer itself once the handler returns, for example with
// a 304 it decided on when the handler's header arrived. Suppress may be
// called from HoldIf. It does nothing once a header has been sent.
func (w *Writer) Suppress() {
	if w.sent || w.hijacked {
		return
	}
	w.dropping = true
	w.holding = false
	w.buf.Reset()
}

// Suppressed reports whether Suppress was called.
func (w *Writer) Suppressed() bool { return w.dropping }

// Status returns the final status the handler chose, 0 if it has not
// written a header or body yet.
func (w *Writer) Status() int { return w.status }

// Size returns the number of body bytes the handler wrote.
func (w *Writer) Size() int64 { return w.size }

// Started reports whether the handler has begun its response (a final
// status, a body byte, a Flush or a Hijack), held or not.
func (w *Writer) Started() bool { return w.status != 0 || w.hijacked }

// Sent reports whether a header has reached the wrapped writer, so that
// nothing else can be sent in its place.
func (w *Writer) Sent() bool { return w.sent || w.hijacked }

// Held reports whether the header and body are being held.
func (w *Writer) Held() bool { return w.holding }

// Body returns the held (Hold) or copied (Tee) body bytes. The buffer is
// valid until Release, Discard or Put.
func (w *Writer) Body() *Buffer { return &w.buf }

// Overflowed reports whether the body outgrew the limit.
func (w *Writer) Overflowed() bool { return w.overflow }

// Flushed reports whether the handler flushed the response.
func (w *Writer) Flushed() bool { return w.flushed }

// Hijacked reports whether the handler took over the connection.
func (w *Writer) Hijacked() bool { return w.hijacked }

func (w *Writer) flush() {
	if w.hijacked {
		return
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.dropping {
		return
	}
	// A held response is released before the flush; a failed write shows
	// again on the handler's next Write, as with net/http.
	_ = w.Release()
	w.flushed = true
	w.rw.(http.Flusher).Flush()
}

func (w *Writer) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := w.rw.(http.Hijacker).Hijack()
	if err == nil {
		w.hijacked = true
		w.holding = false
		w.buf.Reset()
	}
	return c, brw, err
}

// front is the http.ResponseWriter the handler gets. Each call first
// checks that the Writer is not detached; in Tee and Hold mode it holds
// w.mu for its whole length, so Detach waits for a call in progress and
// no call starts after it.
//
// What a late call reads of the Writer is only what never changes after
// Get (mode, Logger, rw for Unwrap) and the atomics: it races with
// nothing the middleware does.
type front struct{ w *Writer }

// enter starts a call of the handler's. It returns false, having reported
// the call, when the Writer is detached; otherwise the caller must call
// leave.
func (f front) enter(call string) bool {
	w := f.w
	if w.mode != Pass {
		w.mu.Lock()
	}
	if w.detached.Load() {
		if w.mode != Pass {
			w.mu.Unlock()
		}
		w.late(call)
		return false
	}
	return true
}

func (f front) leave() {
	if f.w.mode != Pass {
		f.w.mu.Unlock()
	}
}

// late reports the first call after Detach.
func (w *Writer) late(call string) {
	if w.reported.Swap(true) {
		return
	}
	l := w.Logger
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(context.Background(), slog.LevelError,
		"response writer used after the handler returned; the call was dropped (a goroutine the handler started outlived it)",
		slog.String("call", call))
}

func (f front) Header() http.Header {
	if f.w.detached.Load() {
		f.w.late("Header")
		return http.Header{}
	}
	return f.w.rw.Header()
}

func (f front) WriteHeader(code int) {
	if !f.enter("WriteHeader") {
		return
	}
	defer f.leave()
	f.w.WriteHeader(code)
}

func (f front) Write(p []byte) (int, error) {
	if !f.enter("Write") {
		return 0, ErrDetached
	}
	defer f.leave()
	return f.w.Write(p)
}

// Unwrap returns the wrapped writer, for http.NewResponseController; once
// detached, a writer that drops everything, so a late deadline or flush
// through a ResponseController does not reach the connection either.
func (f front) Unwrap() http.ResponseWriter {
	if f.w.detached.Load() {
		f.w.late("Unwrap")
		return detached{}
	}
	return f.w.rw
}

func (f front) flush() {
	if !f.enter("Flush") {
		return
	}
	defer f.leave()
	f.w.flush()
}

func (f front) hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !f.enter("Hijack") {
		return nil, nil, ErrDetached
	}
	defer f.leave()
	return f.w.hijack()
}

// detached is what Unwrap gives after Detach: a writer with no optional
// interfaces that keeps nothing.
type detached struct{}

func (detached) Header() http.Header       { return http.Header{} }
func (detached) WriteHeader(int)           {}
func (detached) Write([]byte) (int, error) { return 0, ErrDetached }

// The wrappers below add exactly the optional interfaces the wrapped writer
// has. Each is a single pointer, so storing it in an interface costs no
// allocation.

type flusher struct{ front }

func (f flusher) Flush() { f.flush() }

type hijacker struct{ front }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return h.hijack() }

type flushHijacker struct{ front }

func (f flushHijacker) Flush() { f.flush() }

func (f flushHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return f.hijack() }
