package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers log output and writes it at most every flushEvery,
// or when its buffer fills, instead of making one write system call per
// record: with one access log record per request, those calls cost more
// than the rest of the logging. A crash loses at most flushEvery of
// records; Close flushes what is left. It is safe for concurrent use.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.Flush()
			case <-l.stop:
				return
			}
		}
	}()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Flush writes what is buffered.
func (l *logWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

// Close stops the flushing goroutine and flushes what is left. Writes
// after Close are buffered until the next Flush.
func (l *logWriter) Close() error {
	close(l.stop)
	<-l.done
	return l.Flush()
}
