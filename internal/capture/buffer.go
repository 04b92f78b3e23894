package capture

import (
	"io"
	"sync"
)

// ChunkSize is the size of the pooled chunks a Buffer is made of.
const ChunkSize = 8 << 10

var chunkPool = sync.Pool{New: func() any { return new([ChunkSize]byte) }}

// Buffer is a byte buffer built from fixed-size pooled chunks, so holding a
// large body never grows, copies or pins one huge slice. The zero value is
// an empty buffer. Reset gives the chunks back to the pool.
type Buffer struct {
	chunks []*[ChunkSize]byte
	n      int // bytes used in total
	// inline backs chunks for a body of one chunk, the common case, so a
	// buffer inside a fresh Writer allocates no slice for it.
	inline [1]*[ChunkSize]byte
}

// Len returns the number of bytes in the buffer.
func (b *Buffer) Len() int { return b.n }

// Write appends p. It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		off := b.n % ChunkSize
		if off == 0 && b.n/ChunkSize == len(b.chunks) {
			if b.chunks == nil {
				b.chunks = b.inline[:0]
			}
			b.chunks = append(b.chunks, chunkPool.Get().(*[ChunkSize]byte))
		}
		c := b.chunks[b.n/ChunkSize]
		m := copy(c[off:], p)
		b.n += m
		p = p[m:]
	}
	return written, nil
}

// WriteTo writes the contents to dst, chunk by chunk.
func (b *Buffer) WriteTo(dst io.Writer) (int64, error) {
	var total int64
	for i, rest := 0, b.n; rest > 0; i++ {
		m := min(rest, ChunkSize)
		n, err := dst.Write(b.chunks[i][:m])
		total += int64(n)
		if err != nil {
			return total, err
		}
		rest -= m
	}
	return total, nil
}

// Bytes returns a copy of the contents in one slice.
func (b *Buffer) Bytes() []byte {
	out := make([]byte, 0, b.n)
	for i, rest := 0, b.n; rest > 0; i++ {
		m := min(rest, ChunkSize)
		out = append(out, b.chunks[i][:m]...)
		rest -= m
	}
	return out
}

// Reset empties the buffer and returns its chunks to the pool.
func (b *Buffer) Reset() {
	for i, c := range b.chunks {
		chunkPool.Put(c)
		b.chunks[i] = nil
	}
	b.chunks = b.chunks[:0]
	b.n = 0
}
