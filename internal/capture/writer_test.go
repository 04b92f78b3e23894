package capture

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// base is a ResponseWriter with no optional interfaces.
type base struct {
	h      http.Header
	codes  []int
	body   bytes.Buffer
	writes int
}

func newBase() *base                 { return &base{h: http.Header{}} }
func (b *base) Header() http.Header  { return b.h }
func (b *base) WriteHeader(code int) { b.codes = append(b.codes, code) }
func (b *base) Write(p []byte) (int, error) {
	b.writes++
	return b.body.Write(p)
}

type baseFlusher struct {
	*base
	flushes int
}

func (b *baseFlusher) Flush() { b.flushes++ }

type baseHijacker struct{ *base }

func (baseHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c1, c2 := net.Pipe()
	c2.Close()
	return c1, bufio.NewReadWriter(bufio.NewReader(c1), bufio.NewWriter(c1)), nil
}

type baseBoth struct {
	*baseFlusher
	baseHijacker
}

func (b baseBoth) Header() http.Header         { return b.baseFlusher.Header() }
func (b baseBoth) WriteHeader(c int)           { b.baseFlusher.WriteHeader(c) }
func (b baseBoth) Write(p []byte) (int, error) { return b.baseFlusher.Write(p) }

func TestInterfacesMatchWrapped(t *testing.T) {
	tests := []struct {
		name          string
		rw            http.ResponseWriter
		flush, hijack bool
	}{
		{"plain", newBase(), false, false},
		{"flusher", &baseFlusher{base: newBase()}, true, false},
		{"hijacker", baseHijacker{newBase()}, false, true},
		{"both", func() http.ResponseWriter { b := newBase(); return baseBoth{&baseFlusher{base: b}, baseHijacker{b}} }(), true, true},
	}
	for _, mode := range []Mode{Pass, Tee, Hold} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w, rw := Get(tt.rw, mode, 64)
				defer Put(w)
				_, gotF := rw.(http.Flusher)
				_, gotH := rw.(http.Hijacker)
				if gotF != tt.flush || gotH != tt.hijack {
					t.Errorf("mode %d: Flusher=%v Hijacker=%v, want %v %v", mode, gotF, gotH, tt.flush, tt.hijack)
				}
				u, ok := rw.(interface{ Unwrap() http.ResponseWriter })
				if !ok || u.Unwrap() != tt.rw {
					t.Errorf("mode %d: Unwrap does not return the wrapped writer", mode)
				}
				rc := http.NewResponseController(rw)
				err := rc.Flush()
				if tt.flush && err != nil {
					t.Errorf("mode %d: ResponseController.Flush: %v", mode, err)
				}
				if !tt.flush && err == nil {
					t.Errorf("mode %d: ResponseController.Flush succeeded on a writer that cannot flush", mode)
				}
			})
		}
	}
}

var oneByte = []byte("x")

// TestGetAllocatesTheWriterOnly pins the cost of a fresh Writer per
// request: the Writer itself, and nothing for the handler's writer.
func TestGetAllocatesTheWriterOnly(t *testing.T) {
	rw := &sink{h: http.Header{}}
	for _, mode := range []Mode{Pass, Tee, Hold} {
		allocs := testing.AllocsPerRun(100, func() {
			w, out := Get(rw, mode, 64)
			out.WriteHeader(http.StatusOK)
			_, _ = out.Write(oneByte)
			_ = w.Release()
			Put(w)
		})
		if allocs != 1 {
			t.Errorf("mode %d: Get+Put allocs = %v, want 1", mode, allocs)
		}
	}
}

func TestWriteHeader(t *testing.T) {
	tests := []struct {
		name       string
		mode       Mode
		do         func(rw http.ResponseWriter)
		wantCodes  []int
		wantStatus int
		wantBody   string
	}{
		{"implicit 200", Pass, func(rw http.ResponseWriter) { io.WriteString(rw, "hi") }, []int{200}, 200, "hi"},
		{"repeated ignored", Pass, func(rw http.ResponseWriter) { rw.WriteHeader(201); rw.WriteHeader(500) }, []int{201}, 201, ""},
		{"1xx passes through", Pass, func(rw http.ResponseWriter) {
			rw.WriteHeader(103)
			rw.WriteHeader(103)
			rw.WriteHeader(204)
		}, []int{103, 103, 204}, 204, ""},
		{"101 is final", Pass, func(rw http.ResponseWriter) { rw.WriteHeader(101); rw.WriteHeader(200) }, []int{101}, 101, ""},
		{"hold then release", Hold, func(rw http.ResponseWriter) { rw.WriteHeader(202); io.WriteString(rw, "x"); rw.WriteHeader(500) }, []int{202}, 202, "x"},
		{"hold passes 1xx", Hold, func(rw http.ResponseWriter) { rw.WriteHeader(100); io.WriteString(rw, "y") }, []int{100, 200}, 200, "y"},
		{"tee", Tee, func(rw http.ResponseWriter) { io.WriteString(rw, "abc") }, []int{200}, 200, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBase()
			w, rw := Get(b, tt.mode, 1024)
			defer Put(w)
			tt.do(rw)
			if err := w.Release(); err != nil {
				t.Fatal(err)
			}
			if got := w.Status(); got != tt.wantStatus {
				t.Errorf("Status() = %d, want %d", got, tt.wantStatus)
			}
			if !slices.Equal(b.codes, tt.wantCodes) {
				t.Errorf("codes sent = %v, want %v", b.codes, tt.wantCodes)
			}
			if got := b.body.String(); got != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
			if got := w.Size(); got != int64(len(tt.wantBody)) {
				t.Errorf("Size() = %d, want %d", got, len(tt.wantBody))
			}
		})
	}
}

func TestInvalidCodePanicsLikeNetHTTP(t *testing.T) {
	for _, mode := range []Mode{Pass, Hold} {
		w, rw := Get(newBase(), mode, 10)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("mode %d: WriteHeader(42) did not panic", mode)
				}
			}()
			rw.WriteHeader(42)
		}()
		Put(w)
	}
}

func TestHold(t *testing.T) {
	t.Run("held until released, headers changed in between", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 100)
		defer Put(w)
		rw.Header().Set("Content-Type", "text/plain")
		io.WriteString(rw, "hello ")
		io.WriteString(rw, "world")
		if len(b.codes) != 0 || b.body.Len() != 0 {
			t.Fatalf("sent before release: codes %v body %q", b.codes, b.body.String())
		}
		if !w.Held() || !w.Started() || w.Sent() {
			t.Errorf("Held/Started/Sent = %v/%v/%v, want true/true/false", w.Held(), w.Started(), w.Sent())
		}
		if got := string(w.Body().Bytes()); got != "hello world" {
			t.Errorf("Body = %q", got)
		}
		rw.Header().Set("ETag", `"x"`)
		if err := w.Release(); err != nil {
			t.Fatal(err)
		}
		if got := b.body.String(); got != "hello world" {
			t.Errorf("body after release = %q", got)
		}
		if b.h.Get("ETag") != `"x"` {
			t.Errorf("header set before release was lost")
		}
		if !w.Sent() || w.Held() {
			t.Errorf("after release Sent=%v Held=%v", w.Sent(), w.Held())
		}
	})
	t.Run("overflow sends what is held and passes through", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 10)
		defer Put(w)
		io.WriteString(rw, "0123456789")
		if b.body.Len() != 0 {
			t.Fatal("sent at exactly the limit")
		}
		io.WriteString(rw, "abc")
		if !w.Overflowed() || w.Held() {
			t.Errorf("Overflowed=%v Held=%v, want true false", w.Overflowed(), w.Held())
		}
		io.WriteString(rw, "def")
		if got := b.body.String(); got != "0123456789abcdef" {
			t.Errorf("body = %q", got)
		}
		if !slices.Equal(b.codes, []int{200}) {
			t.Errorf("codes = %v", b.codes)
		}
	})
	t.Run("flush releases", func(t *testing.T) {
		bf := &baseFlusher{base: newBase()}
		w, rw := Get(bf, Hold, 100)
		defer Put(w)
		io.WriteString(rw, "event")
		rw.(http.Flusher).Flush()
		if !w.Flushed() || w.Held() || bf.flushes != 1 || bf.body.String() != "event" {
			t.Errorf("Flushed=%v Held=%v flushes=%d body=%q", w.Flushed(), w.Held(), bf.flushes, bf.body.String())
		}
	})
	t.Run("flush before any write sends 200", func(t *testing.T) {
		bf := &baseFlusher{base: newBase()}
		w, rw := Get(bf, Pass, 0)
		defer Put(w)
		rw.(http.Flusher).Flush()
		if !slices.Equal(bf.codes, []int{200}) || w.Status() != 200 {
			t.Errorf("codes = %v status %d", bf.codes, w.Status())
		}
	})
	t.Run("HoldIf false passes through", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 100)
		defer Put(w)
		w.HoldIf = func(status int, h http.Header) bool { return status == 200 }
		rw.WriteHeader(404)
		io.WriteString(rw, "nope")
		if w.Held() || b.body.String() != "nope" {
			t.Errorf("Held=%v body=%q", w.Held(), b.body.String())
		}
	})
	t.Run("discard", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 100)
		defer Put(w)
		io.WriteString(rw, "secret")
		w.Discard()
		if err := w.Release(); err != nil {
			t.Fatal(err)
		}
		if len(b.codes) != 0 || b.body.Len() != 0 {
			t.Errorf("discarded response was sent: %v %q", b.codes, b.body.String())
		}
	})
	t.Run("unlimited", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, Unlimited)
		defer Put(w)
		big := bytes.Repeat([]byte("z"), 3*ChunkSize+17)
		rw.Write(big)
		if !w.Held() || w.Body().Len() != len(big) {
			t.Fatalf("Held=%v len=%d", w.Held(), w.Body().Len())
		}
		if !bytes.Equal(w.Body().Bytes(), big) {
			t.Error("held bytes differ")
		}
	})
}

func TestTee(t *testing.T) {
	b := newBase()
	w, rw := Get(b, Tee, 8)
	defer Put(w)
	io.WriteString(rw, "1234")
	if got := string(w.Body().Bytes()); got != "1234" || b.body.String() != "1234" {
		t.Errorf("copy %q sent %q", got, b.body.String())
	}
	io.WriteString(rw, "56789")
	if !w.Overflowed() || w.Body().Len() != 0 {
		t.Errorf("Overflowed=%v copy len %d", w.Overflowed(), w.Body().Len())
	}
	if b.body.String() != "123456789" {
		t.Errorf("sent %q", b.body.String())
	}
}

// failing is a ResponseWriter whose client went away: writes fail.
type failing struct{ *base }

func (failing) Write(p []byte) (int, error) { return 0, io.ErrClosedPipe }

func TestTeeKeepsUnsentBytes(t *testing.T) {
	w, rw := Get(failing{newBase()}, Tee, 8)
	defer Put(w)
	if _, err := io.WriteString(rw, "1234"); err == nil {
		t.Fatal("write to a failing writer succeeded")
	}
	if got := string(w.Body().Bytes()); got != "1234" || w.Size() != 0 {
		t.Errorf("copy %q size %d, want the bytes the handler wrote and size 0", got, w.Size())
	}
	io.WriteString(rw, "56789")
	if !w.Overflowed() {
		t.Error("no overflow past the limit")
	}
}

func TestHijackThroughRealServer(t *testing.T) {
	for _, mode := range []Mode{Pass, Tee, Hold} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cw, rw := Get(w, mode, 100)
			defer Put(cw)
			rc := http.NewResponseController(rw)
			if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Errorf("SetWriteDeadline through wrapper: %v", err)
			}
			conn, brw, err := rc.Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			if !cw.Hijacked() {
				t.Error("Hijacked() = false")
			}
			if _, err := rw.Write([]byte("x")); err != http.ErrHijacked {
				t.Errorf("Write after hijack err = %v, want ErrHijacked", err)
			}
			brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
			brw.Flush()
		}))
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "ok" {
			t.Errorf("mode %d: body %q", mode, body)
		}
		srv.Close()
	}
}

func TestFlushThroughRealServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw, rw := Get(w, Hold, 1<<20)
		defer Put(cw)
		io.WriteString(rw, "data: 1\n\n")
		if err := http.NewResponseController(rw).Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		if !cw.Flushed() {
			t.Error("Flushed() = false")
		}
		io.WriteString(rw, "data: 2\n\n")
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	line, _ := r.ReadString('\n')
	if line != "data: 1\n" {
		t.Errorf("first line %q", line)
	}
	rest, _ := io.ReadAll(r)
	if !strings.Contains(string(rest), "data: 2") {
		t.Errorf("rest %q", rest)
	}
}

func TestBuffer(t *testing.T) {
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 5*ChunkSize + 3} {
		var b Buffer
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i * 7)
		}
		// Write in uneven pieces.
		for rest := src; len(rest) > 0; {
			k := min(len(rest), 1000)
			b.Write(rest[:k])
			rest = rest[k:]
		}
		if b.Len() != n {
			t.Errorf("n=%d: Len = %d", n, b.Len())
		}
		if !bytes.Equal(b.Bytes(), src) {
			t.Errorf("n=%d: Bytes differ", n)
		}
		var out bytes.Buffer
		if m, err := b.WriteTo(&out); err != nil || m != int64(n) || !bytes.Equal(out.Bytes(), src) {
			t.Errorf("n=%d: WriteTo = %d, %v", n, m, err)
		}
		b.Reset()
		if b.Len() != 0 || len(b.Bytes()) != 0 {
			t.Errorf("n=%d: not empty after Reset", n)
		}
	}
}

func TestSuppress(t *testing.T) {
	t.Run("from HoldIf: nothing reaches the wrapped writer, past the limit or on flush", func(t *testing.T) {
		bf := &baseFlusher{base: newBase()}
		w, rw := Get(bf, Hold, 4)
		defer Put(w)
		w.HoldIf = func(status int, h http.Header) bool {
			w.Suppress()
			return true
		}
		rw.Header().Set("ETag", `"x"`)
		rw.WriteHeader(http.StatusOK)
		if n, err := io.WriteString(rw, "more than four bytes"); n != 20 || err != nil {
			t.Errorf("Write = %d, %v, want 20, nil", n, err)
		}
		rw.(http.Flusher).Flush()
		io.WriteString(rw, "!")
		if err := w.Release(); err != nil {
			t.Fatal(err)
		}
		if len(bf.codes) != 0 || bf.body.Len() != 0 || bf.flushes != 0 {
			t.Errorf("suppressed response leaked: codes %v body %q flushes %d", bf.codes, bf.body.String(), bf.flushes)
		}
		if !w.Suppressed() || w.Held() || w.Sent() || w.Overflowed() || w.Flushed() {
			t.Errorf("Suppressed/Held/Sent/Overflowed/Flushed = %v/%v/%v/%v/%v, want true/false/false/false/false",
				w.Suppressed(), w.Held(), w.Sent(), w.Overflowed(), w.Flushed())
		}
		if w.Status() != http.StatusOK || w.Size() != 21 {
			t.Errorf("Status %d Size %d, want 200 21", w.Status(), w.Size())
		}
	})
	t.Run("HoldIf suppressing and returning false", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 100)
		defer Put(w)
		w.HoldIf = func(int, http.Header) bool { w.Suppress(); return false }
		io.WriteString(rw, "body")
		if len(b.codes) != 0 || b.body.Len() != 0 {
			t.Errorf("leaked: codes %v body %q", b.codes, b.body.String())
		}
	})
	t.Run("after holding drops what is held", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Hold, 100)
		defer Put(w)
		io.WriteString(rw, "held")
		w.Suppress()
		io.WriteString(rw, "later")
		w.Release()
		if len(b.codes) != 0 || b.body.Len() != 0 || w.Body().Len() != 0 {
			t.Errorf("leaked: codes %v body %q held %d", b.codes, b.body.String(), w.Body().Len())
		}
	})
	t.Run("after the header was sent does nothing", func(t *testing.T) {
		b := newBase()
		w, rw := Get(b, Pass, 0)
		defer Put(w)
		io.WriteString(rw, "a")
		w.Suppress()
		io.WriteString(rw, "b")
		if w.Suppressed() || b.body.String() != "ab" {
			t.Errorf("Suppressed=%v body %q, want false \"ab\"", w.Suppressed(), b.body.String())
		}
	})
	t.Run("Put clears it", func(t *testing.T) {
		w, _ := Get(newBase(), Hold, 100)
		w.Suppress()
		Put(w)
		b := newBase()
		w, rw := Get(b, Pass, 0)
		defer Put(w)
		io.WriteString(rw, "x")
		if b.body.String() != "x" {
			t.Errorf("reused writer still suppressed: body %q", b.body.String())
		}
	})
}

func TestOf(t *testing.T) {
	for _, rw := range []http.ResponseWriter{
		newBase(),
		&baseFlusher{base: newBase()},
		baseHijacker{newBase()},
		func() http.ResponseWriter { b := newBase(); return baseBoth{&baseFlusher{base: b}, baseHijacker{b}} }(),
	} {
		w, hw := Get(rw, Pass, 0)
		if got := Of(hw); got != w {
			t.Errorf("%T: Of = %p, want the Writer %p", rw, got, w)
		}
		if got := Of(rw); got != nil {
			t.Errorf("%T: Of of a plain writer = %p, want nil", rw, got)
		}
		Put(w)
		if got := Of(hw); got != nil {
			t.Errorf("%T: Of after Put = %p, want nil", rw, got)
		}
	}
}
