package idempotency

import (
	"bytes"
	stderrors "errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"

	apierrors "github.com/restwell/restwell/errors"
)

// chunkReader returns its bytes in reads of the sizes steps gives, in
// turn. A size of 0 is a read that returns nothing and no error, which
// the next read always follows with at least one byte (io.Reader
// discourages empty reads; a reader that only made them would never end).
type chunkReader struct {
	b     []byte
	steps []byte
	i     int
	empty bool // the last read returned nothing
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := len(c.b)
	if len(c.steps) > 0 {
		n = int(c.steps[c.i%len(c.steps)])
		c.i++
	}
	if n == 0 && c.empty {
		n = 1
	}
	c.empty = n == 0
	n = min(n, len(p), len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// FuzzReadBody: whatever the body, its announced length, the sizes it
// arrives in and the limit, readBody either returns exactly the bytes
// sent or refuses with 413 (over the limit) or 400 (a failing read), and
// a buffer given back to the pool never shows up in a later body.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("hello"), int64(5), uint32(10), []byte{1, 2}, false)
	f.Add([]byte("hello"), int64(-1), uint32(4), []byte{}, false)
	f.Add(bytes.Repeat([]byte("x"), 600), int64(-1), uint32(1<<20), []byte{0, 255, 7}, false)
	f.Add(bytes.Repeat([]byte("y"), 2000), int64(100), uint32(2000), []byte{}, false)
	f.Add([]byte("abc"), int64(3), uint32(3), []byte{1}, true)
	f.Fuzz(func(t *testing.T, body []byte, announced int64, limit uint32, steps []byte, failing bool) {
		m, err := New(Config{MaxBodySize: int64(limit)})
		if err != nil {
			t.Fatal(err)
		}
		var rd io.Reader = &chunkReader{b: bytes.Clone(body), steps: steps}
		if failing {
			rd = io.MultiReader(rd, iotest.ErrReader(stderrors.New("connection reset")))
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = io.NopCloser(rd)
		r.ContentLength = announced
		bb, err := m.readBody(r)
		switch {
		case announced > m.maxBody || int64(len(body)) > m.maxBody:
			if status(err) != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d bytes (announced %d) over a limit of %d: got error %v, want 413", len(body), announced, m.maxBody, err)
			}
		case failing:
			if status(err) != http.StatusBadRequest {
				t.Fatalf("failing read: got error %v, want 400", err)
			}
		default:
			if err != nil {
				t.Fatalf("%d bytes (announced %d, limit %d): %v", len(body), announced, m.maxBody, err)
			}
			if bb == nil || !bytes.Equal(bb.b, body) {
				t.Fatalf("readBody returned %d bytes, want the %d sent", lenOf(bb), len(body))
			}
		}
		if err != nil && bb != nil {
			t.Fatalf("readBody returned a buffer with the error %v", err)
		}
		// A buffer given back comes out of the pool empty.
		putBody(bb)
		if nb := getBody(len(body) + 1); len(nb.b) != 0 {
			t.Fatalf("a pooled buffer came back holding %d bytes", len(nb.b))
		}
	})
}

func status(err error) int {
	var e *apierrors.Error
	if stderrors.As(err, &e) {
		return e.Status
	}
	return 0
}

func lenOf(b *bodyBuf) int {
	if b == nil {
		return -1
	}
	return len(b.b)
}
