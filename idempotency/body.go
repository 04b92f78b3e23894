package idempotency

import (
	stderrors "errors"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// bodyBuf holds a request body the middleware read. Buffers of up to
// maxPooledBody bytes are reused across requests.
type bodyBuf struct{ b []byte }

const (
	minPooledBody = 512
	maxPooledBody = minPooledBody << (len(bodyPools) - 1) // 64 KiB
)

// bodyPools[i] holds buffers with a capacity of at least minPooledBody<<i.
var bodyPools [8]sync.Pool

// poolOf returns the index of the smallest pool whose buffers hold n
// bytes, and false when n is over maxPooledBody.
func poolOf(n int64) (int, bool) {
	for i := range bodyPools {
		if n <= minPooledBody<<i {
			return i, true
		}
	}
	return 0, false
}

// getBody returns an empty buffer with room for n bytes.
func getBody(n int64) *bodyBuf {
	if i, ok := poolOf(n); ok {
		if v := bodyPools[i].Get(); v != nil {
			return v.(*bodyBuf)
		}
		return &bodyBuf{b: make([]byte, 0, minPooledBody<<i)}
	}
	return &bodyBuf{b: make([]byte, 0, n)}
}

// putBody gives b back for reuse. Nothing may use b or its bytes
// afterwards.
func putBody(b *bodyBuf) {
	if b == nil {
		return
	}
	c := cap(b.b)
	if c < minPooledBody || c > maxPooledBody {
		return
	}
	i := len(bodyPools) - 1
	for minPooledBody<<i > c {
		i--
	}
	b.b = b.b[:0]
	bodyPools[i].Put(b)
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
	n := min(r.ContentLength, 1<<20) + 1
	if n <= 0 {
		n = minPooledBody
	}
	bb := getBody(n)
	buf := bb.b
	for {
		if len(buf) == cap(buf) {
			// Grow into a buffer twice the size, pooled when small enough.
			nb := getBody(2 * int64(cap(buf)))
			nb.b = append(nb.b, buf...)
			bb.b = buf
			putBody(bb)
			bb, buf = nb, nb.b
		}
		k, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if int64(len(buf)) > m.maxBody {
			putBody(bb)
			return nil, m.tooLarge()
		}
		if err == io.EOF {
			bb.b = buf
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
