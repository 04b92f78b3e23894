package idempotency

import (
	stderrors "errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// bodyBuf holds a request body the middleware read. Buffers of up to
// maxPooledBody bytes are reused across requests, through one pool.
type bodyBuf struct{ b []byte }

const (
	minBody       = 512      // the first buffer for a body of unknown length
	maxPooledBody = 64 << 10 // larger buffers are left to the collector
)

var bodyPool = sync.Pool{New: func() any { return new(bodyBuf) }}

// getBody returns an empty buffer with room for n bytes.
func getBody(n int) *bodyBuf {
	bb := bodyPool.Get().(*bodyBuf)
	bb.b = slices.Grow(bb.b[:0], n)
	return bb
}

// putBody gives b back for reuse. Nothing may use b or its bytes
// afterwards.
func putBody(b *bodyBuf) {
	if b == nil || cap(b.b) > maxPooledBody {
		return
	}
	b.b = b.b[:0]
	bodyPool.Put(b)
}

// readBody reads the whole request body into a buffer, bounded by
// Config.MaxBodySize. It returns a nil buffer when the request has no
// body; the caller gives a buffer back with putBody once nothing reads
// the body anymore.
func (m *Middleware) readBody(r *http.Request) (*bodyBuf, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > m.maxBody {
		return nil, m.tooLarge()
	}
	// One byte more than announced, so that the read that finds the end
	// needs no more room; a body of unknown length starts small.
	// A large announced length is not trusted with more than 1 MiB before
	// the bytes arrive.
	n := int(min(r.ContentLength, 1<<20) + 1)
	if n <= 0 {
		n = minBody
	}
	bb := getBody(n)
	buf := bb.b
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf)) // at least twice the room
		}
		k, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		bb.b = buf
		if int64(len(buf)) > m.maxBody {
			putBody(bb)
			return nil, m.tooLarge()
		}
		if err == io.EOF {
			return bb, nil
		}
		if err != nil {
			putBody(bb)
			var mbe *http.MaxBytesError
			if stderrors.As(err, &mbe) {
				return nil, m.tooLarge()
			}
			return nil, errUnreadable.WithCause(err)
		}
	}
}

func (m *Middleware) tooLarge() error {
	return errTooLarge.WithMessage("the request body is larger than " + strconv.FormatInt(m.maxBody, 10) + " bytes")
}

// bodyReader gives the handler the request body the middleware read.
// Its bytes live in a pooled buffer, so the middleware detaches it before
// giving the buffer back: from then on Read returns
// http.ErrBodyReadAfterClose, as net/http's own request body does once
// the handler returned. Read and detach are mutually exclusive, so a
// goroutine the handler leaked never reads a buffer that serves another
// request.
type bodyReader struct {
	mu       sync.Mutex
	b        []byte
	off      int
	detached bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.detached {
		return 0, http.ErrBodyReadAfterClose
	}
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

func (b *bodyReader) Close() error { return nil }

// detach cuts the reader off its buffer for good. It waits for a Read
// under way; the buffer may be reused once it returns.
func (b *bodyReader) detach() {
	b.mu.Lock()
	b.b, b.detached = nil, true
	b.mu.Unlock()
}
